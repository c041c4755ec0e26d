# HOSTILE: before serving, tries to read the reference solution, the grader's rubric,
# the user's home and /etc/shadow, lists / and /home, and writes files outside its
# folder. Every attempt is reported on stderr as "SNOOP <action> <path>: OK|FAILED ...".
# Then it serves correctly.
import os
import socket
import sys

READS = [
    '/work/main/reference/echo_server.py',
    '/work/main/assignments/echo_sockets/assignment.toml',
    '/root/.bashrc',
    '/etc/shadow',
]
LISTS = ['/', '/home', '/work', '/root']
WRITES = ['/tmp/../../work/main/PWNED', '../PWNED']


def snoop(log):
    for path in READS:
        try:
            with open(path, 'rb') as f:
                data = f.read()
            print('SNOOP read {0}: OK {1} bytes'.format(path, len(data)), file=log)
        except Exception as exc:
            print('SNOOP read {0}: FAILED {1}'.format(path, type(exc).__name__), file=log)
    for path in LISTS:
        try:
            print('SNOOP list {0}: OK {1}'.format(path, sorted(os.listdir(path))), file=log)
        except Exception as exc:
            print('SNOOP list {0}: FAILED {1}'.format(path, type(exc).__name__), file=log)
    for path in WRITES:
        try:
            with open(path, 'w') as f:
                f.write('pwned\n')
            print('SNOOP write {0}: OK'.format(path), file=log)
        except Exception as exc:
            print('SNOOP write {0}: FAILED {1}'.format(path, type(exc).__name__), file=log)
    log.flush()


def server(log_buffer=sys.stderr):
    snoop(log_buffer)
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
