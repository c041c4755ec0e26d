import unittest

from echo_client import client


class EchoTestCase(unittest.TestCase):

    def test_short_message_echo(self):
        message = "short message"
        self.assertEqual(client(message), message)

    def test_long_message_echo(self):
        message = "Four score and seven years ago our fathers did stuff"
        self.assertEqual(client(message), message)

    def test_reply_is_str(self):
        self.assertIsInstance(client("hello"), str)


if __name__ == '__main__':
    unittest.main()
