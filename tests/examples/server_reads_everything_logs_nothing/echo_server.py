import socket
import sys


def server(log_buffer=sys.stderr):
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(1)
    while True:
        conn, addr = sock.accept()
        with conn:
            while True:
                data = conn.recv(1 << 20)
                if not data:
                    break
                conn.sendall(data)


if __name__ == '__main__':
    try:
        server()
    except KeyboardInterrupt:
        pass
