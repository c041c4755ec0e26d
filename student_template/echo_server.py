"""An echo server (homework skeleton).

The server listens on 127.0.0.1 and, for every client that connects, sends back
exactly the bytes it receives, until that client has finished sending. It then
closes that connection and waits for the next client. Clients are served one at a
time, and the server keeps running until it is interrupted with Ctrl-C.

Usage: python echo_server.py [PORT]   (default: $ECHO_PORT, else 10000)

Fill in the numbered TODOs, in order. Everything else (the log lines, the port
handling in __main__) is already written for you.
The `# noqa` comments only stop linters from warning about names that the
TODOs will use; delete them when you are done.
"""

import os
import socket  # noqa: F401
import sys

DEFAULT_PORT = 10000
USAGE = "usage: python echo_server.py [PORT]"


def as_text(data):
    """Return bytes as printable text for the log.

    A 16-byte chunk can end in the middle of a multi-byte UTF-8 character, and a
    client may send bytes that are not UTF-8 at all, so a strict decode would crash
    the server on valid input. "backslashreplace" shows such bytes as \\xNN instead.
    """
    return data.decode("utf-8", errors="backslashreplace")


def log(log_buffer, line):
    """Write one line to the log and flush it, so it shows up at once."""
    print(line, file=log_buffer, flush=True)


def server(log_buffer=sys.stderr, port=DEFAULT_PORT):
    """Echo every message sent by clients on 127.0.0.1:port, one client at a time."""
    address = ("127.0.0.1", port)

    # TODO 1: replace None with a new TCP socket (SOCK_STREAM) using IPv4 addresses
    #         (AF_INET). Keep the name `sock`. Until you do, the server stops below
    #         with "AttributeError: 'NoneType' object has no attribute ...".
    sock = None

    # TODO 2: set the SO_REUSEADDR option (level SOL_SOCKET) on `sock`.
    #         Why: without it, restarting the server soon after stopping it fails with
    #         "Address already in use" for a minute or so. We did not cover this in
    #         class: look for "SO_REUSEADDR" in the examples at the end of the
    #         documentation of Python's socket module.

    # TODO 3: nothing to write, this log line is given. Just keep it here, after the
    #         socket is set up and before it is bound.
    log(log_buffer, f"making a server on {address[0]}:{address[1]}")

    # TODO 4: bind `sock` to `address`, then make it listen for connections.
    #         This happens once: the same listening socket serves every client.

    try:
        # The outer loop handles one client per turn, forever.
        while True:
            log(log_buffer, "waiting for a connection")

            # TODO 5: the line below waits for a client to connect. It returns a NEW
            #         socket, `conn`, for talking to that client, and the client's
            #         address, `addr` (a (host, port) pair). `sock` keeps listening:
            #         do not close it here, and do not call listen() again in this loop.
            conn, addr = sock.accept()
            try:
                log(log_buffer, f"connection - {addr[0]}:{addr[1]}")

                # The inner loop echoes the client's bytes as they arrive, and ends
                # when the client has finished sending.
                while True:
                    # TODO 6a: replace b"" with up to 16 bytes received from `conn`.
                    data = b""

                    # TODO 6b: decide whether the message is complete, and if it is,
                    #          leave the inner loop with `break`. Then delete the
                    #          placeholder `break` at the bottom of this loop.
                    #          Rule: keep reading until recv returns b"" (the client
                    #          has finished sending and closed). Any other chunk,
                    #          whatever its size, is part of the message: echo it.

                    log(log_buffer, f'received "{as_text(data)}"')

                    # TODO 6c: send `data` back to the client on `conn`. Use sendall,
                    #          not send: send may send only part of the bytes and
                    #          leave you to send the rest yourself.

                    log(log_buffer, f'sent "{as_text(data)}"')

                    # Placeholder so that the unfinished server does not loop
                    # forever; remove it once TODO 6b is done.
                    break
            finally:
                # TODO 7: close `conn`, the connection to this client (not `sock`!).
                #         Being in a `finally`, this runs however the inner loop ended.
                log(log_buffer, "echo complete, client connection closed")

    except KeyboardInterrupt:
        # TODO 8: Ctrl-C lands here. Close the listening socket `sock` so that the
        #         port is released; the function then returns.
        log(log_buffer, "quitting echo server")


def port_from_command_line(argv):
    """Return the port: argv[1] if given, else $ECHO_PORT, else DEFAULT_PORT.

    Returns None if the argument (or the variable) is not a valid port number.
    """
    if len(argv) > 2:
        return None
    text = argv[1] if len(argv) == 2 else os.environ.get("ECHO_PORT", str(DEFAULT_PORT))
    try:
        port = int(text)
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None


if __name__ == "__main__":
    chosen_port = port_from_command_line(sys.argv)
    if chosen_port is None:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    server(port=chosen_port)
    sys.exit(0)
