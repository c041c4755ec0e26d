import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print('connecting to %s port %s' % server_address, file=log_buffer)
    sock.connect(server_address)

    outgoing = msg.encode('utf8')
    incoming = b''
    try:
        print('sending "%s"' % msg, file=log_buffer)
        sock.sendall(outgoing)
        while len(incoming) < len(outgoing):
            part = sock.recv(16)
            if not part:
                break
            print('received "%s"' % part.decode('utf8', 'replace'), file=log_buffer)
            incoming += part
    finally:
        print('closing socket', file=log_buffer)
        sock.close()
    return incoming.decode('utf8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: python echo_client.py "this is my message"', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
