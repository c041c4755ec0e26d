import socket
import sys


def server(log_buffer=sys.stderr):
    # TCP socket on the loopback interface only
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # lets us restart the server right away without "address already in use"
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    log_buffer.write("making a server on {}:{}\n".format(*address))
    sock.bind(address)
    sock.listen(1)

    try:
        # outer loop: one client after another
        while True:
            log_buffer.write("waiting for a connection\n")
            conn, addr = sock.accept()
            try:
                log_buffer.write("connection - {}:{}\n".format(*addr))
                # inner loop: echo until the client closes its end
                buffer = conn.recv(16)
                while buffer:
                    log_buffer.write('received "{}"\n'.format(buffer.decode('utf-8', 'replace')))
                    conn.sendall(buffer)
                    buffer = conn.recv(16)
            finally:
                conn.close()
                log_buffer.write("echo complete, client connection closed\n")
    except KeyboardInterrupt:
        sock.close()
        log_buffer.write("quitting echo server\n")


if __name__ == '__main__':
    server()
    sys.exit(0)
