"""Reference solution: an echo client.

Sends one message to the echo server on 127.0.0.1 and returns the server's reply.

Usage: python echo_client.py "this is my message"   (port: $ECHO_PORT, else 10000)
"""

import os
import socket
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
    server_address = ("127.0.0.1", port)

    # A TCP socket over IPv4, like the server's.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    log(log_buffer, f"connecting to localhost port {port}")

    # The reply is collected as raw bytes and decoded once, at the end: decoding
    # chunk by chunk would break characters that straddle two chunks.
    chunks = []
    try:
        # Connecting inside the try means the socket is closed even when the
        # connection is refused (for instance because no server is running).
        sock.connect(server_address)

        log(log_buffer, f'sending "{msg}"')
        # Sockets carry bytes, not text, so the str is encoded first. The reply is
        # compared with the number of BYTES sent, which differs from len(msg) as soon
        # as the message has a non-ASCII character.
        data = msg.encode("utf-8")
        # send() may send only part of the data; sendall() sends all of it.
        sock.sendall(data)

        # Read the echo in 16-byte chunks until as many bytes have come back as were
        # sent. That is the only reliable end-of-message signal available here:
        # - "stop at a chunk shorter than 16 bytes" waits forever when the length is
        #   a multiple of 16 (including an empty message), since no short chunk comes,
        #   and it can stop too early, because recv() may return fewer bytes than
        #   asked for even in the middle of a message;
        # - "wait until the server closes" deadlocks: the server only closes after
        #   this client has closed.
        received = 0
        while received < len(data):
            chunk = sock.recv(16)
            if not chunk:
                # The server closed the connection before echoing everything: stop
                # rather than loop forever, and return whatever did arrive.
                break
            log(log_buffer, f'received "{as_text(chunk)}"')
            chunks.append(chunk)
            received += len(chunk)
    finally:
        # Always release the socket, even if something above failed.
        log(log_buffer, "closing socket")
        sock.close()

    # "replace" means a reply cut short in the middle of a character still gives a
    # str (with U+FFFD for the broken character) instead of an exception.
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
