"""A correct echo server on a slow machine: it takes a while before each reply."""
import socket
import sys
import time


def server(log_buffer=sys.stderr):
    address = ("127.0.0.1", 10000)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    time.sleep(0.2)  # slow start-up (imports, a slow disk...)
    sock.bind(address)
    sock.listen(5)
    print(f"making a server on {address[0]}:{address[1]}", file=log_buffer)
    while True:
        conn, addr = sock.accept()
        with conn:
            time.sleep(0.1)  # thinks a while before answering each client
            while True:
                data = conn.recv(16)
                if not data:
                    break
                print(f'received "{data!r}"', file=log_buffer)
                conn.sendall(data)


if __name__ == "__main__":
    server()
