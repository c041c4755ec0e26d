#!/usr/bin/env python
import socket
import sys

PORT = 12000  # must match echo_server.py


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', PORT)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    log_buffer.write("connecting to %s port %s\n" % server_address)
    s.connect(server_address)

    expected = len(msg.encode('utf-8'))
    response = b''
    try:
        log_buffer.write('sending "%s"\n' % msg)
        s.sendall(msg.encode('utf-8'))
        while len(response) < expected:
            data = s.recv(16)
            if not data:
                break
            log_buffer.write('received "%s"\n' % data.decode('utf-8', 'ignore'))
            response += data
    finally:
        log_buffer.write("closing socket\n")
        s.close()
    return response.decode('utf-8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.stderr.write('usage: python echo_client.py "this is my message"\n')
        sys.exit(1)
    client(sys.argv[1])
