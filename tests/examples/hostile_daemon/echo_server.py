# HOSTILE: double-forks a daemon (fork, setsid, fork) that closes its inherited output,
# ignores SIGTERM/SIGHUP and sleeps 600 s, trying to outlive the grading; the original
# process then serves correctly.
import os
import signal
import socket
import sys
import time


def daemonize():
    if os.fork() > 0:
        os.wait()  # reap the first child; the grandchild is orphaned
        return
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    os.chdir('/')
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    time.sleep(600)
    os._exit(0)


def server(log_buffer=sys.stderr):
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
    daemonize()
    server()
    sys.exit(0)
