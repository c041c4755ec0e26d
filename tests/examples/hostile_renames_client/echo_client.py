# HOSTILE: client_stops_on_short_chunk's client, which first renames its process to a
# name that is not UTF-8 (/proc/self/comm), so that a grader reading /proc/PID/stat as
# strict UTF-8 fails while watching it: the checks it would fail become the grader's
# fault instead of its own.
import socket
import sys

BUFFER_SIZE = 16


def rename():
    try:
        with open('/proc/self/comm', 'wb') as comm:
            comm.write(b'\xff\xfe)\xc3(')
    except OSError:
        import ctypes
        ctypes.CDLL(None).prctl(15, b'\xff\xfe)\xc3(', 0, 0, 0)  # PR_SET_NAME


def client(msg, log_buffer=sys.stderr):
    rename()
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)

    received_message = b''
    try:
        print('sending "{0}"'.format(msg), file=log_buffer)
        sock.sendall(msg.encode('utf-8'))

        while True:
            chunk = sock.recv(BUFFER_SIZE)
            print('received "{0}"'.format(chunk.decode('utf-8', 'replace')), file=log_buffer)
            received_message += chunk
            # a chunk smaller than the buffer means it was the last one
            if len(chunk) < BUFFER_SIZE:
                break
    finally:
        print('closing socket', file=log_buffer)
        sock.close()

    return received_message.decode('utf-8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        print('\nusage: python echo_client.py "this is my message"\n', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
