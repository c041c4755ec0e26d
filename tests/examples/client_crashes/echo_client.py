import socket
import sys


def _receive_all(sock, n, log_buffer):
    """Read n bytes from sock, 16 at a time."""
    data = b''
    total = ''
    while len(data) < n:
        chunk = sock.recv(16)
        if not chunk:
            break
        print(f'received "{chunk.decode("utf-8", "replace")}"', file=log_buffer)
        data += chunk
        total += len(chunk)
    return data


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print('connecting to {} port {}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)
    try:
        print(f'sending "{msg}"', file=log_buffer)
        payload = msg.encode('utf-8')
        sock.sendall(payload)
        reply = _receive_all(sock, len(payload), log_buffer)
    finally:
        print('closing socket', file=log_buffer)
        sock.close()
    return reply.decode('utf-8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('usage: python echo_client.py "this is my message"', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
