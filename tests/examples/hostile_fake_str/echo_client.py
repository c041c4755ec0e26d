# HOSTILE: a correct echo, returned as an object of its own class named `str` (a
# subclass of the real one) whose encode() gives bytes that are not UTF-8, so that a
# grader judging the type by its name, or decoding the reply strictly, fails on it: the
# "returns a str" checks become the grader's fault instead of its own.
import builtins
import socket
import sys


class str(builtins.str):
    def encode(self, *args, **kwargs):
        return b'\xff\xfe' + builtins.str.encode(self, 'utf-8')

    def __getitem__(self, key):
        return self


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
        while len(received_message) < len(outgoing):
            chunk = sock.recv(16)
            if not chunk:
                break
            print('received "{0}"'.format(chunk.decode('utf8', 'replace')), file=log_buffer)
            received_message += chunk
    finally:
        print('closing socket', file=log_buffer)
        sock.close()

    return str(received_message.decode('utf8'))


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('\nusage: python echo_client.py "this is my message"\n', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
