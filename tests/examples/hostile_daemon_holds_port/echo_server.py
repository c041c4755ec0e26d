# HOSTILE: the server of server_drops_last_partial_chunk/ (it drops a last short chunk),
# which first starts a daemon that escapes every marker: it double-forks, calls setsid()
# and execs Python with an EMPTY environment, then takes port 10000 (the port a
# hard-coded client uses, where the grader's own servers must listen in the client
# checks) as soon as it is free, and echoes correctly, for ten minutes. If it outlived
# its check, later checks would meet it instead of the grader's servers, or the grader
# could not bind.
import os
import sys

DAEMON = """
import socket, threading, time
def serve(conn):
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            conn.sendall(data)
time.sleep(0.5)  # let the server it came from take the port first
end = time.time() + 600  # HOSTILE_DAEMON_LIVES
while time.time() < end:
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 10000))
        s.listen(16)
        break
    except OSError:
        s.close()
        time.sleep(0.05)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


def start_daemon():
    if os.fork() > 0:
        os.wait()
        return
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.execve(sys.executable, [sys.executable, "-I", "-S", "-c", DAEMON], {})


import socket


def server(log_buffer=sys.stderr):
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
    start_daemon()
    server()
    sys.exit(0)
