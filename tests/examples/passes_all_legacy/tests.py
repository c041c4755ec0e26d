import socket
import unittest

from echo_client import client


class EchoTestCase(unittest.TestCase):
    """Run these with the server already started in another terminal."""

    def send_message(self, message):
        try:
            reply = client(message)
        except socket.error as e:
            if e.errno == 61:
                self.fail("Error: {0}, is the server running?".format(e.strerror))
            else:
                self.fail("Unexpected Error: {0}".format(str(e)))
        return reply

    def test_short_message_echo(self):
        expected = "short message"
        actual = self.send_message(expected)
        self.assertEqual(expected, actual, "expected {0}, got {1}".format(expected, actual))

    def test_long_message_echo(self):
        expected = "Four score and seven years ago our fathers did stuff"
        actual = self.send_message(expected)
        self.assertEqual(expected, actual, "expected {0}, got {1}".format(expected, actual))


if __name__ == '__main__':
    unittest.main()
