import socket
import sys


def server(log_buffer=sys.stderr):
    address = ("127.0.0.1", 10000)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        print("making a server on {}:{}".format(*address), file=log_buffer)
        listener.bind(address)
        listener.listen(1)
        try:
            while True:
                print("waiting for a connection", file=log_buffer)
                conn, addr = listener.accept()
                print("connection - {}:{}".format(*addr), file=log_buffer)
                with conn:
                    while True:
                        data = conn.recv(16)
                        if not data:
                            break
                        text = data.decode("utf-8", "replace")
                        print('received "{}"'.format(text), file=log_buffer)
                        conn.sendall(data)
                print("echo complete, client connection closed", file=log_buffer)
        except KeyboardInterrupt:
            print("quitting echo server", file=log_buffer)


if __name__ == "__main__":
    server()
    sys.exit(0)
