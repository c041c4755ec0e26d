"""Visible tests for the echo_sockets homework.

Start your server in one terminal:

    python echo_server.py

then run these tests in another terminal, in the same folder:

    python tests.py

Set the environment variable ECHO_PORT to test a server on another port, for example
`python echo_server.py 12000` and `ECHO_PORT=12000 python tests.py`.

Each call to client() runs in a background thread and gets at most 5 seconds, so a
client that never stops reading makes a test fail instead of hanging forever.
"""

import io
import os
import socket
import threading
import unittest

from echo_client import client

HOST = "127.0.0.1"
PORT = int(os.environ.get("ECHO_PORT", "10000"))
LIMIT_S = 5.0

LONG_MESSAGE = "Four score and seven years ago our fathers did stuff"  # 52 bytes
SIXTEEN_BYTES = "sixteen bytes!!!"
THIRTY_TWO_BYTES = "exactly thirty-two bytes, see?!!"
# é and ö take 2 bytes in UTF-8 and the snake 4, so some of them straddle the
# 16-byte chunk boundaries.
NON_ASCII = "Grüße aus Köln, déjà vu 🐍 naïve café ✓"


def start_command():
    if PORT == 10000:
        return "`python echo_server.py`"
    return f"`python echo_server.py {PORT}`"


def hang_message(n_bytes):
    if n_bytes % 16 == 0:
        hint = (
            "does your client stop reading only when a chunk is shorter than 16 bytes? "
            "Read until you have as many bytes as you sent."
        )
    else:
        hint = (
            "does your server send every chunk straight back with sendall as it arrives? "
            "Does your client wait for the server to close the connection? The server "
            "only closes after the client has finished. Read until you have as many "
            "bytes as you sent."
        )
    return f"client() did not return within {LIMIT_S:g} s for a {n_bytes}-byte message: {hint}"


def run_client(test, msg, log_buffer=None):
    """Call client(msg) in a daemon thread and return its reply.

    Fails `test` with a helpful message if the client hangs, cannot connect, or
    cannot decode a non-ASCII reply.
    """
    if log_buffer is None:
        log_buffer = io.StringIO()  # keep the test output readable
    n_bytes = len(msg.encode("utf-8"))
    outcome = {}

    def target():
        try:
            outcome["reply"] = client(msg, log_buffer=log_buffer, port=PORT)
        except BaseException as exc:  # reported in the main thread below
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(LIMIT_S)
    log_text = log_buffer.getvalue() if isinstance(log_buffer, io.StringIO) else ""
    log_note = f"\nclient log so far:\n{log_text}" if log_text else ""

    if thread.is_alive():
        test.fail(hang_message(n_bytes) + log_note)
    error = outcome.get("error")
    if isinstance(error, ConnectionRefusedError):
        test.fail(
            f"could not connect to {HOST}:{PORT}: is your server running? "
            f"Start it with {start_command()} in another terminal."
        )
    if isinstance(error, TimeoutError):
        # The socket timeout set in setUpModule ended a blocked recv().
        test.fail(hang_message(n_bytes) + log_note)
    if isinstance(error, UnicodeDecodeError):
        test.fail(
            f"client() could not decode the reply ({error}): collect the raw bytes and "
            "decode them once at the end, because a character can be split across two "
            "16-byte chunks." + log_note
        )
    if error is not None:
        raise error
    return outcome["reply"]


_previous_timeout = None


def setUpModule():
    # Sockets created from now on give up after LIMIT_S seconds of silence, so a
    # client stuck in recv() ends by itself and frees the server for the next test.
    global _previous_timeout
    _previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(LIMIT_S)


def tearDownModule():
    socket.setdefaulttimeout(_previous_timeout)


class EchoTestCase(unittest.TestCase):
    def assert_echoed(self, msg):
        """Send msg with client() and check that exactly msg comes back, as a str."""
        reply = run_client(self, msg)
        self.assertIsInstance(
            reply,
            str,
            f"client() must return a str (decode the bytes you received), "
            f"not {type(reply).__name__}",
        )
        n_bytes = len(msg.encode("utf-8"))
        if msg and not reply:
            self.fail(
                f"client() returned an empty string for a {n_bytes}-byte message: does it "
                "connect, send the message and collect the chunks it receives?"
            )
        self.assertEqual(
            reply,
            msg,
            f"the reply to a {n_bytes}-byte message is not the message that was sent",
        )

    def test_short_message(self):
        self.assert_echoed("short message")

    def test_long_message(self):
        self.assertEqual(len(LONG_MESSAGE.encode("utf-8")), 52)
        self.assert_echoed(LONG_MESSAGE)

    def test_exactly_16_bytes(self):
        self.assertEqual(len(SIXTEEN_BYTES.encode("utf-8")), 16)
        self.assert_echoed(SIXTEEN_BYTES)

    def test_exactly_32_bytes(self):
        self.assertEqual(len(THIRTY_TWO_BYTES.encode("utf-8")), 32)
        self.assert_echoed(THIRTY_TWO_BYTES)

    def test_non_ascii_message(self):
        self.assertGreater(len(NON_ASCII.encode("utf-8")), len(NON_ASCII))
        self.assert_echoed(NON_ASCII)

    def test_log_lines(self):
        msg = "log me, please"
        buffer = io.StringIO()
        run_client(self, msg, log_buffer=buffer)
        lines = buffer.getvalue().splitlines()
        shown = "\n".join(lines) or "(nothing)"
        self.assertTrue(lines, "client() wrote nothing to log_buffer")
        self.assertEqual(
            lines[0],
            f"connecting to localhost port {PORT}",
            f"unexpected first log line; the whole log was:\n{shown}",
        )
        self.assertIn(
            f'sending "{msg}"', lines, f"no line 'sending \"{msg}\"' in the log:\n{shown}"
        )
        self.assertTrue(
            any(line.startswith('received "') for line in lines),
            f"no 'received \"...\"' line in the log:\n{shown}",
        )
        self.assertEqual(
            lines[-1],
            "closing socket",
            f"unexpected last log line; the whole log was:\n{shown}",
        )


if __name__ == "__main__":
    unittest.main()
