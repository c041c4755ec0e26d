import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    log_buffer.write('connecting to {0} port {1}\n'.format(*server_address))
    sock.connect(server_address)

    message = msg.encode('utf8')
    amount_expected = len(message)
    amount_received = 0
    reply = b''
    try:
        log_buffer.write('sending "{0}"\n'.format(msg))
        sock.sendall(message)
        while amount_received < amount_expected:
            data = sock.recv(16)
            if not data:
                break
            amount_received += len(data)
            reply += data
            log_buffer.write('received "{0}"\n'.format(data.decode('utf8', 'replace')))
    finally:
        log_buffer.write('closing socket\n')
        sock.close()
    return reply.decode('utf8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        log = sys.stderr
        log.write('\nusage: python echo_client.py "this is my message"\n')
        sys.exit(1)
    client(sys.argv[1])
