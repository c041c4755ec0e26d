import socket
import sys


def server(log_buffer=sys.stderr):
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print("making a server on {0}:{1}".format(*address), file=log_buffer)
    print("DEBUG: socket created", sock)
    sock.bind(address)
    sock.listen(1)
    try:
        while True:
            print('waiting for a connection', file=log_buffer)
            print("DEBUG: waiting in accept()")
            conn, addr = sock.accept()
            print("DEBUG: got a client", addr, "- let's echo!")
            try:
                while True:
                    data = conn.recv(16)
                    print("DEBUG: recv gave", repr(data), "which is", len(data), "bytes")
                    if not data:
                        break
                    print('received "{0}"'.format(data.decode('utf-8', 'replace')), file=log_buffer)
                    conn.sendall(data)
                    print("DEBUG: sent it back, all", len(data), "bytes of it")
            finally:
                conn.close()
                print("DEBUG: closed the connection, next!")
    except KeyboardInterrupt:
        sock.close()


if __name__ == '__main__':
    server()
    sys.exit(0)
