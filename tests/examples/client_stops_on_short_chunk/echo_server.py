import socket
import sys


def echo(conn, log_buffer):
    """Send back everything the client sends until it closes its side."""
    while True:
        data = conn.recv(16)
        if not data:
            return
        print('received "%s"' % data.decode('utf-8', 'replace'), file=log_buffer)
        conn.sendall(data)


def server(log_buffer=sys.stderr):
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print('making a server on %s:%s' % address, file=log_buffer)
    sock.bind(address)
    sock.listen(1)
    try:
        while True:
            print('waiting for a connection', file=log_buffer)
            conn, addr = sock.accept()
            print('connection - %s:%s' % addr, file=log_buffer)
            try:
                echo(conn, log_buffer)
            finally:
                conn.close()
                print('echo complete, client connection closed', file=log_buffer)
    except KeyboardInterrupt:
        sock.close()
        print('quitting echo server', file=log_buffer)


if __name__ == '__main__':
    server()
    sys.exit(0)
