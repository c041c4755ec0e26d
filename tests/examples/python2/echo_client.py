import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    print >>log_buffer, 'connecting to {0} port {1}'.format(*server_address)
    sock.connect(server_address)

    reply = ''
    try:
        print >>log_buffer, 'sending "{0}"'.format(msg)
        sock.sendall(msg)
        while len(reply) < len(msg):
            chunk = sock.recv(16)
            if not chunk:
                break
            print >>log_buffer, 'received "{0}"'.format(chunk)
            reply += chunk
    except socket.error, e:
        print >>log_buffer, 'socket error: %s' % e
    finally:
        print >>log_buffer, 'closing socket'
        sock.close()

    return reply


if __name__ == '__main__':
    if len(sys.argv) != 2:
        usage = '\nusage: python echo_client.py "this is my message"\n'
        print >>sys.stderr, usage
        sys.exit(1)

    client(sys.argv[1])
