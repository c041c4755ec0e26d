#!/usr/bin/env python3
"""Session 4 homework: client for the echo server."""
import socket
import sys


def client(msg, log_buffer=sys.stderr):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    log_buffer.write('connecting to localhost port 10000\n')
    sock.connect(('localhost', 10000))

    message = bytes(msg, 'utf-8')
    answer = b''
    try:
        log_buffer.write('sending "{}"\n'.format(msg))
        sock.sendall(message)
        while len(answer) < len(message):
            chunk = sock.recv(16)
            if not chunk:
                break
            log_buffer.write('received "{}"\n'.format(chunk.decode('utf-8', 'replace')))
            answer += chunk
    finally:
        log_buffer.write('closing socket\n')
        sock.close()
    return str(answer, 'utf-8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.stderr.write('usage: python echo_client.py "this is my message"\n')
        sys.exit(1)
    client(sys.argv[1])
