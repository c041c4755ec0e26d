import socket
import sys

ADDRESS = ("127.0.0.1", 10000)
CHUNK = 16


def server(log_buffer=sys.stderr):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print("making a server on %s:%s" % ADDRESS, file=log_buffer)
    sock.bind(ADDRESS)
    sock.listen(1)

    try:
        while True:
            print("waiting for a connection", file=log_buffer)
            conn, addr = sock.accept()
            print("connection - %s:%s" % addr, file=log_buffer)
            try:
                data = conn.recv(CHUNK)
                while len(data) > 0:
                    print('received "%s"' % data.decode("utf-8", errors="replace"),
                          file=log_buffer)
                    conn.sendall(data)
                    data = conn.recv(CHUNK)
            finally:
                conn.close()
    except KeyboardInterrupt:
        print("quitting echo server", file=log_buffer)
        sock.close()


if __name__ == "__main__":
    server()
    sys.exit(0)
