# HOSTILE: allocates memory without bound (100 MB at a time, every page touched)
# before it would ever listen.
import socket
import sys


def server(log_buffer=sys.stderr):
    hoard = []
    while True:
        hoard.append(b'x' * 100_000_000)
        print('holding {0} MB'.format(len(hoard) * 100), file=log_buffer, flush=True)


if __name__ == '__main__':
    server()
