from cStringIO import StringIO
import unittest

from echo_client import client


class EchoTestCase(unittest.TestCase):
    """compare the client's log with what it should say"""

    def send_message(self, message):
        log = StringIO()
        client(message, log)
        return log.getvalue().strip().split('\n')

    def check_log(self, message):
        lines = self.send_message(message)
        self.assertEqual(lines[0], 'connecting to localhost port 10000')
        self.assertEqual(lines[1], 'sending "%s"' % message)
        chunks = [message[i:i + 16] for i in range(0, len(message), 16)]
        for line, chunk in zip(lines[2:-1], chunks):
            self.assertEqual(line, 'received "%s"' % chunk)
        self.assertEqual(lines[-1], 'closing socket')

    def test_short_message(self):
        self.check_log("short message")

    def test_long_message(self):
        self.check_log("Four score and seven years ago our fathers did stuff")


if __name__ == '__main__':
    unittest.main()
