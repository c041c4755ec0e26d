import socket
import sys


def client(msg, log_buffer=sys.stderr):
    print("Hello! I am the client. I will now send:", msg)
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)
    print("connected!!!", sock)
    received = b''
    try:
        print('sending "{0}"'.format(msg), file=log_buffer)
        data = msg.encode('utf-8')
        sock.sendall(data)
        print("sent", len(data), "bytes, now reading", "." * 40)
        while len(received) < len(data):
            chunk = sock.recv(16)
            if not chunk:
                break
            print("got chunk number", len(received) // 16 + 1, "=", repr(chunk))
            print('received "{0}"'.format(chunk.decode('utf-8', 'replace')), file=log_buffer)
            received += chunk
    finally:
        print('closing socket', file=log_buffer)
        sock.close()
        print("bye!")
    return received.decode('utf-8')


if __name__ == '__main__':
    print(client(sys.argv[1]))
