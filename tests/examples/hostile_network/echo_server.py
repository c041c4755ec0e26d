# HOSTILE: looks at the network interfaces it can see and tries to reach the internet
# (1.1.1.1:53) before serving; reports both on stderr as "NET ...". Then serves correctly.
import socket
import sys


def probe(log):
    print('NET if_nameindex: {0!r}'.format(socket.if_nameindex()), file=log)
    try:
        s = socket.create_connection(('1.1.1.1', 53), timeout=1)
        s.close()
        print('NET connect 1.1.1.1:53: OK', file=log)
    except OSError as exc:
        print('NET connect 1.1.1.1:53: FAILED {0}'.format(exc), file=log)
    log.flush()


def server(log_buffer=sys.stderr):
    probe(log_buffer)
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
