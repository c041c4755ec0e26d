# HOSTILE: serves correctly from a thread while the main thread writes to stdout and
# stderr without end (gigabytes if nobody stops it). The echo itself is correct.
import os
import socket
import sys
import threading


def serve(address=('127.0.0.1', 10000)):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(1)
    while True:
        conn, addr = sock.accept()
        try:
            while True:
                data = conn.recv(16)
                if not data:
                    break
                conn.sendall(data)
        finally:
            conn.close()


def flood():
    line = ('FLOOD ' * 1000 + '\n').encode()
    while True:
        os.write(1, line)
        os.write(2, line)


def server(log_buffer=sys.stderr):
    threading.Thread(target=serve, daemon=True).start()
    flood()


if __name__ == '__main__':
    server()
