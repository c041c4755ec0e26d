import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)

    received_message = ''
    raw = b''
    try:
        print('sending "{0}"'.format(msg), file=log_buffer)
        sock.sendall(msg.encode('utf-8'))
        expected = len(msg.encode('utf-8'))
        while len(raw) < expected:
            chunk = sock.recv(16)
            if not chunk:
                break
            raw += chunk
            print('received "{0}"'.format(chunk.decode('utf-8', 'replace')), file=log_buffer)
        received_message = raw.decode('utf-8')
    finally:
        print('closing socket', file=log_buffer)
        sock.close()

    return received_message


if __name__ == '__main__':
    if len(sys.argv) != 2:
        usage = '\nusage: python echo_client.py "this is my message"\n'
        print(usage, file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
