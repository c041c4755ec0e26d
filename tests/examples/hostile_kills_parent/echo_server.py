# HOSTILE: kills its parent process, then everything it is allowed to signal
# (kill(-1, SIGKILL)), then serves correctly.
#
# DANGER: only ever run this under the grader's sandbox. kill(-1, SIGKILL) outside a PID
# namespace kills every process of your user (as root: every process on the machine), so
# the one guard below refuses it when this process can see the host's processes; it then
# prints "NOT SENT", which the sandbox tests treat as a failure (no PID namespace).
import os
import signal
import socket
import sys


def _in_own_pid_namespace():
    return len([p for p in os.listdir('/proc') if p.isdigit()]) < 10


def server(log_buffer=sys.stderr):
    print('KILL running as uid {0}, pid {1}'.format(os.geteuid(), os.getpid()), file=log_buffer)
    for target, what in ((os.getppid(), 'parent'), (-1, 'everything')):
        if target == -1 and not _in_own_pid_namespace():
            print('KILL everything (-1): NOT SENT, this is not a sandbox', file=log_buffer)
            continue
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
