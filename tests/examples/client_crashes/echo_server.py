import socket
import sys


def server(log_buffer=sys.stderr):
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print(f"making a server on {address[0]}:{address[1]}", file=log_buffer)
    sock.bind(address)
    sock.listen(1)
    try:
        while True:
            print("waiting for a connection", file=log_buffer)
            conn, addr = sock.accept()
            print(f"connection - {addr[0]}:{addr[1]}", file=log_buffer)
            try:
                for data in iter(lambda: conn.recv(16), b""):
                    print(f'received "{data.decode("utf-8", "replace")}"', file=log_buffer)
                    conn.sendall(data)
            except OSError as err:  # client died half way, keep serving the others
                print(f"connection error: {err}", file=log_buffer)
            finally:
                conn.close()
                print("echo complete, client connection closed", file=log_buffer)
    except KeyboardInterrupt:
        sock.close()
        print("quitting echo server", file=log_buffer)


if __name__ == '__main__':
    server()
    sys.exit(0)
