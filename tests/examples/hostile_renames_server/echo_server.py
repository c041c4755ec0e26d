# HOSTILE: server_drops_last_partial_chunk's server, which first renames its process to
# a name that is not UTF-8 (/proc/self/comm), so that a grader reading /proc/PID/stat or
# /proc/PID/comm as strict UTF-8 fails while watching it: the checks it would fail
# become the grader's fault instead of its own.
import socket
import sys


def rename():
    try:
        with open('/proc/self/comm', 'wb') as comm:
            comm.write(b'\xff\xfe)\xc3(')
    except OSError:
        import ctypes
        ctypes.CDLL(None).prctl(15, b'\xff\xfe)\xc3(', 0, 0, 0)  # PR_SET_NAME


def server(log_buffer=sys.stderr):
    rename()
    address = ('127.0.0.1', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    log_buffer.write('making a server on {0}:{1}\n'.format(*address))
    sock.bind(address)
    sock.listen(1)

    try:
        while True:
            log_buffer.write('waiting for a connection\n')
            conn, addr = sock.accept()
            try:
                log_buffer.write('connection - {0}:{1}\n'.format(*addr))
                while True:
                    data = conn.recv(16)
                    log_buffer.write('received "{0}"\n'.format(data.decode('utf8', 'replace')))
                    # a short chunk means the client is done
                    if len(data) < 16:
                        break
                    conn.sendall(data)
            finally:
                conn.close()
                log_buffer.write('echo complete, client connection closed\n')
    except KeyboardInterrupt:
        sock.close()
        log_buffer.write('quitting echo server\n')


if __name__ == '__main__':
    server()
    sys.exit(0)
