import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # stop waiting after one second without data: the echo must be complete by then
    sock.settimeout(1)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)

    received = b''
    try:
        print('sending "{0}"'.format(msg), file=log_buffer)
        sock.sendall(msg.encode('utf-8'))
        while True:
            try:
                chunk = sock.recv(16)
            except socket.timeout:
                break
            if not chunk:
                break
            print('received "{0}"'.format(chunk.decode('utf-8', 'replace')), file=log_buffer)
            received += chunk
    finally:
        print('closing socket', file=log_buffer)
        sock.close()
    return received.decode('utf-8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: python echo_client.py "this is my message"', file=sys.stderr)
        sys.exit(1)
    print(client(sys.argv[1]))
