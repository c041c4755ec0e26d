"""An echo client (homework skeleton).

Sends one message to the echo server on 127.0.0.1 and returns the server's reply.

Usage: python echo_client.py "this is my message"   (port: $ECHO_PORT, else 10000)

Fill in the numbered TODOs, in order. Everything else (the log lines, the command
line handling in __main__) is already written for you.
The `# noqa` comments only stop linters from warning about names that the
TODOs will use; delete them when you are done.
"""

import os
import socket  # noqa: F401
import sys

DEFAULT_PORT = 10000
USAGE = 'usage: python echo_client.py "this is my message"'


def as_text(data):
    """Return bytes as printable text for the log.

    A 16-byte chunk can end in the middle of a multi-byte UTF-8 character (é is two
    bytes, most emoji four), so a strict decode of a single chunk can crash on a
    perfectly valid message. "backslashreplace" shows such bytes as \\xNN instead.
    """
    return data.decode("utf-8", errors="backslashreplace")


def log(log_buffer, line):
    """Write one line to the log and flush it, so it shows up at once."""
    print(line, file=log_buffer, flush=True)


def client(msg, log_buffer=sys.stderr, port=DEFAULT_PORT):
    """Send `msg` to the echo server on 127.0.0.1:port and return the reply as a str."""
    server_address = ("127.0.0.1", port)  # noqa: F841

    # TODO 1: replace None with a new TCP socket (SOCK_STREAM) using IPv4 addresses
    #         (AF_INET), like the server's. Keep the name `sock`.
    sock = None  # noqa: F841
    log(log_buffer, f"connecting to localhost port {port}")

    # Collect the reply here as raw BYTES, and decode it only once, at the end (see
    # the return statement): a character can be split across two chunks.
    chunks = []
    try:
        # TODO 2: connect `sock` to `server_address`.

        log(log_buffer, f'sending "{msg}"')

        # TODO 3: encode `msg` to UTF-8 bytes and send all of them with sendall (send
        #         may send only part of the bytes). Keep the encoded bytes: you need
        #         their length in TODO 4. Careful: for non-ASCII text the number of
        #         bytes is larger than len(msg).

        # TODO 4: receive the reply in 16-byte chunks (recv(16)), in a loop. For each
        #         chunk:
        #           - log it with this line:
        #                 log(log_buffer, f'received "{as_text(chunk)}"')
        #           - append it to `chunks`.
        #         When is the whole message back? Keep reading until you have
        #         received as many bytes as you sent. Also stop if recv returns b"":
        #         that means the server closed the connection, and no more will come.
        pass
    finally:
        # TODO 5: close `sock`. Being in a `finally`, this runs even if something
        #         above went wrong.
        log(log_buffer, "closing socket")

    # Nothing to do here: the bytes collected in `chunks` become one str.
    return b"".join(chunks).decode("utf-8", errors="replace")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(USAGE, file=sys.stderr)
        sys.exit(1)
    try:
        chosen_port = int(os.environ.get("ECHO_PORT", DEFAULT_PORT))
    except ValueError:
        print("ECHO_PORT must be a port number", file=sys.stderr)
        sys.exit(1)
    reply = client(sys.argv[1], port=chosen_port)
    print(reply)
