# HOSTILE: kills its parent process, then everything it is allowed to signal
# (kill(-1, SIGKILL)), then serves correctly.
import os
import signal
import socket
import sys


def server(log_buffer=sys.stderr):
    for target, what in ((os.getppid(), 'parent'), (-1, 'everything')):
        try:
            os.kill(target, signal.SIGKILL)
            print('KILL {0} ({1}): sent'.format(what, target), file=log_buffer, flush=True)
        except OSError as exc:
            print('KILL {0} ({1}): {2}'.format(what, target, exc), file=log_buffer, flush=True)

    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print("making a server on {0}:{1}".format(*address), file=log_buffer)
    sock.bind(address)
    sock.listen(1)
    try:
        while True:
            conn, addr = sock.accept()
            try:
                while True:
                    data = conn.recv(16)
                    if not data:
                        break
                    conn.sendall(data)
            finally:
                conn.close()
    except KeyboardInterrupt:
        sock.close()


if __name__ == '__main__':
    server()
    sys.exit(0)
