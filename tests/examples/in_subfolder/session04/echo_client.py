import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    log_buffer.write('connecting to {0} port {1}\n'.format(*server_address))
    sock.connect(server_address)

    data = msg.encode('utf-8')
    echoed = bytearray()
    try:
        log_buffer.write('sending "{0}"\n'.format(msg))
        sock.sendall(data)
        # keep receiving until everything we sent has come back
        while len(echoed) < len(data):
            chunk = sock.recv(16)
            if chunk == b'':
                break
            log_buffer.write('received "{0}"\n'.format(chunk.decode('utf-8', errors='replace')))
            echoed.extend(chunk)
    finally:
        log_buffer.write('closing socket\n')
        sock.close()

    return echoed.decode('utf-8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.stderr.write('usage: python echo_client.py "this is my message"\n')
        sys.exit(1)
    client(sys.argv[1])
