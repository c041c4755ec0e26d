import socket
import sys

BUFSIZE = 16


def server(log_buffer=sys.stderr):
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print('making a server on %s:%s' % address, file=log_buffer)
    sock.bind(address)
    sock.listen(1)
    try:
        while True:
            print('waiting for a connection', file=log_buffer)
            conn, addr = sock.accept()
            try:
                print('connection - %s:%s' % addr, file=log_buffer)
                while True:
                    data = conn.recv(BUFSIZE)
                    print('received "%s"' % data.decode('utf8', 'replace'), file=log_buffer)
                    conn.sendall(data)
                    if len(data) < BUFSIZE:
                        # less than a full buffer: that was the end of the message
                        break
            finally:
                conn.close()
                print('echo complete, client connection closed', file=log_buffer)
    except KeyboardInterrupt:
        sock.close()
        print('quitting echo server', file=log_buffer)


if __name__ == '__main__':
    server()
    sys.exit(0)
