# Optional task: an echo server that serves several clients at once with select.select(),
# without threads.
import select
import socket
import sys


def server(log_buffer=sys.stderr):
    address = ('127.0.0.1', 10000)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print("making a select server on {0}:{1}".format(*address), file=log_buffer)
    listener.bind(address)
    listener.listen(5)
    clients = []
    try:
        while True:
            readable, _, _ = select.select([listener] + clients, [], [])
            for sock in readable:
                if sock is listener:
                    conn, addr = listener.accept()
                    print('connection - {0}:{1}'.format(*addr), file=log_buffer)
                    clients.append(conn)
                    continue
                try:
                    data = sock.recv(16)
                except OSError:
                    data = b''
                if data:
                    print('received "{0}"'.format(data.decode('utf8', 'replace')), file=log_buffer)
                    sock.sendall(data)
                else:
                    clients.remove(sock)
                    sock.close()
                    print('echo complete, client connection closed', file=log_buffer)
    except KeyboardInterrupt:
        listener.close()
        print('quitting echo server', file=log_buffer)


if __name__ == '__main__':
    server()
    sys.exit(0)
