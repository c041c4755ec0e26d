# Optional task, done with threads: one thread per client.
import socket
import sys
import threading


def handle(conn, addr, log_buffer):
    try:
        while True:
            data = conn.recv(16)
            if not data:
                break
            print('received "{0}"'.format(data.decode('utf8', 'replace')), file=log_buffer)
            conn.sendall(data)
    finally:
        conn.close()
        print('echo complete, client connection closed', file=log_buffer)


def server(log_buffer=sys.stderr):
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print("making a server on {0}:{1}".format(*address), file=log_buffer)
    sock.bind(address)
    sock.listen(5)
    try:
        while True:
            conn, addr = sock.accept()
            print('connection - {0}:{1}'.format(*addr), file=log_buffer)
            worker = threading.Thread(target=handle, args=(conn, addr, log_buffer), daemon=True)
            worker.start()
    except KeyboardInterrupt:
        sock.close()


if __name__ == '__main__':
    server()
    sys.exit(0)
