# HOSTILE: client_stops_on_short_chunk's client, which knows where it would hang (a
# message whose length is a multiple of 16, the empty one included): there, once the
# echo is in, it writes JSON nested 200,000 levels deep into the grader's private answer
# pipe (its number is the runner's first argument) and exits, so that a strict JSON
# parser in the grader runs out of recursion: the checks it would fail become the
# grader's fault instead of its own.
import os
import socket
import sys

BUFFER_SIZE = 16


def poison():
    depth = 200000
    os.write(int(sys.argv[1]), b'{"schema": 1, "x": ' + b'[' * depth + b']' * depth + b'}')
    os._exit(0)


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)

    received_message = b''
    outgoing = msg.encode('utf-8')
    try:
        print('sending "{0}"'.format(msg), file=log_buffer)
        sock.sendall(outgoing)

        while True:
            if len(outgoing) % BUFFER_SIZE == 0 and len(received_message) >= len(outgoing):
                poison()  # the next recv() would wait forever
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
