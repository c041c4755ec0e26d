# HOSTILE (with its client): a server that reads and never echoes.
import socket
import sys


def server(log_buffer=sys.stderr):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', 10000))
    sock.listen(5)
    while True:
        conn, _ = sock.accept()
        with conn:
            while conn.recv(16):
                print('received "..."', file=log_buffer)


if __name__ == '__main__':
    server()
