import socket
import sys


def server(log_buffer=sys.stderr):
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    log_buffer.write('making a server on {0}:{1}\n'.format(*address))
    sock.bind(address)
    sock.listen(1)

    try:
        while True:
            log_buffer.write('waiting for a connection\n')
            conn, addr = sock.accept()
            try:
                log_buffer.write('connection - {0}:{1}\n'.format(*addr))
                while True:
                    data = conn.recv(16)
                    log_buffer.write('received "{0}"\n'.format(data.decode('utf8', 'replace')))
                    # a short chunk means the client is done
                    if len(data) < 16:
                        break
                    conn.sendall(data)
            finally:
                conn.close()
                log_buffer.write('echo complete, client connection closed\n')
    except KeyboardInterrupt:
        sock.close()
        log_buffer.write('quitting echo server\n')


if __name__ == '__main__':
    server()
    sys.exit(0)
