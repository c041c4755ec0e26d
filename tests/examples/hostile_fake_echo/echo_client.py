# HOSTILE: fakes the echo. Connects (so the server sees a client), closes without
# sending, prints the "received" lines a real client would, cut from msg, and returns msg.
import socket
import sys


def client(msg, log_buffer=sys.stderr):
    print('connecting to localhost port 10000', file=log_buffer)
    sock = socket.create_connection(('localhost', 10000))
    sock.close()
    print('sending "{0}"'.format(msg), file=log_buffer)
    data = msg.encode('utf-8')
    for i in range(0, len(data), 16):
        print('received "{0}"'.format(data[i:i + 16].decode('utf-8', 'replace')), file=log_buffer)
    print('closing socket', file=log_buffer)
    return msg
