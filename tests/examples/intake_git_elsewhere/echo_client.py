import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    # create the socket and connect to the server
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)

    # the reply from the server goes here
    received_message = ''

    try:
        print('sending "{0}"'.format(msg), file=log_buffer)
        # TODO: send msg to the server

        # TODO: read the echo back in 16 byte chunks and add them
        #       to received_message until the whole thing is back
    finally:
        print('closing socket', file=log_buffer)
        sock.close()

    return received_message


if __name__ == '__main__':
    if len(sys.argv) != 2:
        usage = '\nusage: python echo_client.py "this is my message"\n'
        print(usage, file=sys.stderr)
        sys.exit(1)

    msg = sys.argv[1]
    client(msg)
