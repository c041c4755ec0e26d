import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)

    sent = msg.encode('utf-8')
    reply = b''
    try:
        print('sending "{0}"'.format(msg), file=log_buffer)
        sock.sendall(sent)
        while len(reply) != len(sent):
            chunk = sock.recv(16)
            if len(chunk) == 0:
                break
            print('received "{0}"'.format(chunk.decode('utf-8', 'replace')), file=log_buffer)
            reply = reply + chunk
    finally:
        print('closing socket', file=log_buffer)
        sock.close()
    return reply.decode('utf-8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: python echo_client.py "this is my message"', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
