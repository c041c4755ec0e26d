"""Reference solution: an echo server.

The server listens on 127.0.0.1 and, for every client that connects, sends back
exactly the bytes it receives, until that client has finished sending. It then
closes that connection and waits for the next client. Clients are served one at a
time, and the server keeps running until it is interrupted with Ctrl-C.

Usage: python echo_server.py [PORT]   (default: $ECHO_PORT, else 10000)
"""

import os
import socket
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
    """Write one line to the log and flush it.

    Flushing makes each line visible at once, even when the log is a pipe or a file
    that someone is watching while the server runs.
    """
    print(line, file=log_buffer, flush=True)


def server(log_buffer=sys.stderr, port=DEFAULT_PORT):
    """Echo every message sent by clients on 127.0.0.1:port, one client at a time."""
    address = ("127.0.0.1", port)

    # A TCP socket (SOCK_STREAM) over IPv4 (AF_INET): a reliable, ordered stream of
    # bytes. TCP has no notion of "messages": the bytes may arrive split into pieces
    # of any size, which is why both sides below loop over recv().
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)

    # After a server stops, the operating system keeps its old connections in the
    # TIME_WAIT state for a minute or so; without SO_REUSEADDR a restarted server
    # fails to bind with "Address already in use" until that time has passed.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    log(log_buffer, f"making a server on {address[0]}:{address[1]}")

    # bind() claims the address; listen() turns the socket into one that accepts
    # connections. Both happen once: the same listening socket serves every client.
    sock.bind(address)
    sock.listen(5)

    try:
        # Outer loop: one turn per client. The server never stops by itself.
        while True:
            log(log_buffer, "waiting for a connection")
            # accept() blocks until a client connects and returns a NEW socket for
            # talking to that client; `sock` itself keeps listening for others.
            conn, addr = sock.accept()
            try:
                log(log_buffer, f"connection - {addr[0]}:{addr[1]}")

                # Inner loop: echo the client's bytes as they arrive.
                while True:
                    data = conn.recv(16)
                    # recv() returns b"" only when the client has finished sending
                    # (it closed the connection or shut down its writing side). A
                    # chunk shorter than 16 bytes does NOT mean the message is over:
                    # a message whose length is a multiple of 16 has no short chunk
                    # at all, and TCP may deliver fewer bytes than asked for anyway.
                    if not data:
                        break
                    log(log_buffer, f'received "{as_text(data)}"')
                    # send() may send only part of the data and return how much it
                    # sent; sendall() keeps sending until every byte is gone.
                    conn.sendall(data)
                    log(log_buffer, f'sent "{as_text(data)}"')
            except OSError as err:
                # ConnectionError (a reset or broken connection) is a subclass of
                # OSError. One misbehaving client must not bring the server down for
                # everybody else, so log the problem and carry on with the next one.
                log(log_buffer, f"connection error - {addr[0]}:{addr[1]}: {err}")
            finally:
                # Close the connection socket (never the listening one) whether the
                # client finished normally or not, so its resources are released.
                conn.close()
                log(log_buffer, "echo complete, client connection closed")
    except KeyboardInterrupt:
        # Ctrl-C is the normal way to stop this server.
        log(log_buffer, "quitting echo server")
    finally:
        # Release the port, also if something unexpected went wrong.
        sock.close()


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
