import socket
import sys


def server(log_buffer=sys.stderr):
    server_address = ("127.0.0.1", 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print(f"making a server on {server_address[0]}:{server_address[1]}", file=log_buffer)
    sock.bind(server_address)
    sock.listen(1)

    try:
        while True:
            print("waiting for a connection", file=log_buffer)
            conn, client_address = sock.accept()
            try:
                print("connection - {}:{}".format(*client_address), file=log_buffer)
                while True:
                    data = conn.recv(16)
                    if not data:
                        break
                    print(f'received "{data.decode("utf-8", "replace")}"', file=log_buffer)
                    conn.sendall(data)
            finally:
                conn.close()
                print("echo complete, client connection closed", file=log_buffer)
    except KeyboardInterrupt:
        sock.close()
        print("quitting echo server", file=log_buffer)


if __name__ == "__main__":
    server()
    sys.exit(0)
