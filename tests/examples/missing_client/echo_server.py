from socket import *
import sys

HOST, PORT = '127.0.0.1', 10000


def server(log_buffer=sys.stderr):
    srv = socket(AF_INET, SOCK_STREAM)
    srv.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    print('making a server on %s:%d' % (HOST, PORT), file=log_buffer)
    srv.bind((HOST, PORT))
    srv.listen(5)
    try:
        while 1:
            print('waiting for a connection', file=log_buffer)
            conn, (ip, port) = srv.accept()
            print('connection - %s:%d' % (ip, port), file=log_buffer)
            try:
                while 1:
                    data = conn.recv(16)
                    if len(data) == 0:
                        break
                    print('received "%s"' % data.decode('utf8', 'replace'), file=log_buffer)
                    conn.sendall(data)
            finally:
                conn.close()
    except KeyboardInterrupt:
        print('quitting echo server', file=log_buffer)
        srv.close()


if __name__ == '__main__':
    server()
    sys.exit(0)
