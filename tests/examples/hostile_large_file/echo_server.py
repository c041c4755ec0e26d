# HOSTILE: writes a 1 GB file next to itself before serving. It ignores SIGXFSZ, so the
# file-size limit shows as an OSError (EFBIG) instead of killing it; it reports how far
# it got on stderr, then serves correctly.
import os
import signal
import socket
import sys


def fill_disk(log_buffer):
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    block = b'\0' * (1 << 20)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'big.bin')
    written = 0
    try:
        with open(path, 'wb') as f:
            for _ in range(1024):  # 1 GiB
                f.write(block)
                f.flush()
                written += len(block)
        print('BIGFILE wrote {0} bytes: NOT STOPPED'.format(written), file=log_buffer, flush=True)
    except OSError as exc:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        print('BIGFILE stopped at {0} bytes: errno {1} {2}'.format(size, exc.errno, exc.strerror),
              file=log_buffer, flush=True)


def server(log_buffer=sys.stderr):
    fill_disk(log_buffer)
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
