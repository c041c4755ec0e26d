# HOSTILE: fills its folder with 10 MiB files (each under the per-file limit) before
# serving, to fill the grading machine's disk; reports how far it got, then serves.
import os
import signal
import socket
import sys


def fill_disk(log_buffer):
    """Many files just under the per-file limit: only a cap on the folder stops this."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    block = b'\0' * (1 << 20)
    here = os.path.dirname(os.path.abspath(__file__))
    written = 0
    try:
        for i in range(100):  # 100 files x 10 MiB = 1000 MiB
            with open(os.path.join(here, 'fill{0}.bin'.format(i)), 'wb') as f:
                for _ in range(10):
                    f.write(block)
                    f.flush()
                    written += len(block)
        print('DISKFILL wrote {0} bytes: NOT STOPPED'.format(written), file=log_buffer, flush=True)
    except OSError as exc:
        print('DISKFILL stopped at {0} bytes: errno {1} {2}'.format(written, exc.errno, exc.strerror),
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
