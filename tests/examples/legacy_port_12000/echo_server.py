#!/usr/bin/env python
import socket
import sys

PORT = 12000  # 10000 was already in use on my laptop


def server(log_buffer=sys.stderr):
    addr = ('127.0.0.1', PORT)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    log_buffer.write("making a server on %s:%s\n" % addr)
    s.bind(addr)
    s.listen(1)
    try:
        while True:
            log_buffer.write("waiting for a connection\n")
            conn, client_addr = s.accept()
            try:
                log_buffer.write("connection - %s:%s\n" % client_addr)
                while True:
                    data = conn.recv(16)
                    if data:
                        log_buffer.write('received "%s"\n' % data.decode('utf-8', 'ignore'))
                        conn.sendall(data)
                    else:
                        break
            finally:
                conn.close()
    except KeyboardInterrupt:
        s.close()
        log_buffer.write("quitting echo server\n")


if __name__ == '__main__':
    server()
    sys.exit(0)
