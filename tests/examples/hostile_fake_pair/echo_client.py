# HOSTILE (with its server): sends the message and returns it without reading anything.
import socket
import sys


def client(msg, log_buffer=sys.stderr):
    sock = socket.create_connection(('localhost', 10000))
    try:
        sock.sendall(msg.encode('utf-8'))
        data = msg.encode('utf-8')
        for i in range(0, len(data), 16):
            print('received "{0}"'.format(data[i:i + 16].decode('utf-8', 'replace')), file=log_buffer)
    finally:
        sock.close()
    return msg
