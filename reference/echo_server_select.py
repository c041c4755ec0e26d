"""Reference solution, optional task: an echo server for several clients at once.

One process, one thread: select.select() waits until some socket is ready (the
listening socket has a new client, or a client has sent something or closed) and the
server handles just that socket, so a slow client never holds up the others.

Usage: python echo_server_select.py [PORT]   (default: $ECHO_PORT, else 10000)
"""

import os
import select
import socket
import sys

DEFAULT_PORT = 10000


def log(log_buffer, line):
    print(line, file=log_buffer, flush=True)


def server(log_buffer=sys.stderr, port=DEFAULT_PORT):
    """Echo what every client sends, serving all connected clients in turn as they are ready."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(5)
    log(log_buffer, f"making a select server on 127.0.0.1:{port}")
    clients = []
    try:
        while True:
            # Wait until at least one socket can be read without blocking.
            readable, _, _ = select.select([listener, *clients], [], [])
            for sock in readable:
                if sock is listener:
                    conn, addr = listener.accept()
                    log(log_buffer, f"connection - {addr[0]}:{addr[1]}")
                    clients.append(conn)
                    continue
                try:
                    data = sock.recv(16)
                    if data:
                        # A real server would queue what cannot be sent at once and
                        # wait for the socket to be writable; 16 bytes always fit.
                        sock.sendall(data)
                        continue
                except OSError as err:
                    log(log_buffer, f"connection error: {err}")
                # b"" (or an error): this client is done; the others carry on.
                clients.remove(sock)
                sock.close()
                log(log_buffer, "echo complete, client connection closed")
    except KeyboardInterrupt:
        log(log_buffer, "quitting echo server")
    finally:
        for sock in clients:
            sock.close()
        listener.close()


if __name__ == "__main__":
    text = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ECHO_PORT", str(DEFAULT_PORT))
    try:
        chosen = int(text)
    except ValueError:
        print("usage: python echo_server_select.py [PORT]", file=sys.stderr)
        sys.exit(2)
    server(port=chosen)
