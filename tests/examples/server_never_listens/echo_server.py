import socket
import sys
import time


def server(log_buffer=sys.stderr):
    print("starting server", file=log_buffer)
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    # TODO: bind to the address and listen
    # TODO: accept connections and echo what they send, 16 bytes at a time

    print("waiting for a connection", file=log_buffer)
    try:
        while True:
            # nothing to do until a client shows up
            time.sleep(1)
    except KeyboardInterrupt:
        sock.close()
        print("quitting echo server", file=log_buffer)


if __name__ == '__main__':
    server()
    sys.exit(0)
