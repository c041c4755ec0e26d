import socket
import sys


def server(log_buffer=sys.stderr):
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    log_buffer.write("making a server on %s:%d\n" % address)
    sock.bind(address)
    sock.listen(1)

    try:
        while True:
            log_buffer.write("waiting for a connection\n")
            conn, addr = sock.accept()
            log_buffer.write("connection - %s:%d\n" % addr)
            try:
                while True:
                    data = conn.recv(16)
                    if not data:
                        break
                    log_buffer.write('received "%s"\n' % data.decode('utf-8', 'replace'))
                    conn.sendall(data)
            except ConnectionResetError:
                log_buffer.write("client went away\n")
            finally:
                conn.close()
    except KeyboardInterrupt:
        sock.close()


if __name__ == '__main__':
    server()
    sys.exit(0)
