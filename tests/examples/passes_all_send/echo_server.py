#!/usr/bin/env python3
"""Session 4 homework: a simple echo server."""
import socket
import sys


def server(log_buffer=sys.stderr):
    host = '127.0.0.1'
    port = 10000
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    log_buffer.write('making a server on {}:{}\n'.format(host, port))
    sock.bind((host, port))
    sock.listen(1)

    try:
        while True:
            log_buffer.write('waiting for a connection\n')
            conn, (addr, client_port) = sock.accept()
            log_buffer.write('connection - {}:{}\n'.format(addr, client_port))
            try:
                while True:
                    data = conn.recv(16)
                    if not data:
                        break
                    log_buffer.write('received "{}"\n'.format(data.decode('utf-8', 'replace')))
                    conn.send(data)
            finally:
                conn.close()
                log_buffer.write('echo complete, client connection closed\n')
    except KeyboardInterrupt:
        sock.close()
        log_buffer.write('quitting echo server\n')


if __name__ == '__main__':
    server()
    sys.exit(0)
