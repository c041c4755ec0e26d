import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)

    received_message = b''
    try:
        print('sending "{0}"'.format(msg), file=log_buffer)
        outgoing = msg.encode('utf8')
        sock.sendall(outgoing)

        # the echo comes back in 16 byte chunks: keep reading until all of it is here
        while len(received_message) < len(outgoing):
            chunk = sock.recv(16)
            if not chunk:
                break
            print('received "{0}"'.format(chunk.decode('utf8', 'replace')), file=log_buffer)
            received_message += chunk
    finally:
        print('closing socket', file=log_buffer)
        sock.close()

    return received_message.decode('utf8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        usage = '\nusage: python echo_client.py "this is my message"\n'
        print(usage, file=sys.stderr)
        sys.exit(1)

    msg = sys.argv[1]
    client(msg)
