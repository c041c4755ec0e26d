import socket
import sys


def server(log_buffer=sys.stderr):
    host, port = "127.0.0.1", 10000
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print("making a server on {}:{}".format(host, port), file=log_buffer)
    sock.bind((host, port))
    sock.listen(1)
    try:
        while True:
            print("waiting for a connection", file=log_buffer)
            conn, addr = sock.accept()
            print("connection - {}:{}".format(*addr), file=log_buffer)
            try:
                while True:
                    msg_part = conn.recv(16)
                    if not msg_part:
                        print("echo complete, client connection closed", file=log_buffer)
                        break
                    print('received "{}"'.format(msg_part.decode("utf8", "replace")),
                          file=log_buffer)
                    conn.sendall(msg_part)
            finally:
                conn.close()
    except KeyboardInterrupt:
        sock.close()
        print("quitting echo server", file=log_buffer)


if __name__ == "__main__":
    server()
    sys.exit(0)
