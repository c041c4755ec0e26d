import socket
import sys


def server(log_buffer=sys.stderr):
    def log(text):
        log_buffer.write(text + "\n")
        log_buffer.flush()

    host, port = '127.0.0.1', 10000
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    log(f"making a server on {host}:{port}")
    listening.bind((host, port))
    listening.listen(1)

    try:
        while True:
            log("waiting for a connection")
            conn, addr = listening.accept()
            log(f"connection - {addr[0]}:{addr[1]}")
            try:
                while True:
                    data = conn.recv(16)
                    if data == b"":
                        break
                    log('received "{}"'.format(data.decode("utf-8", "replace")))
                    conn.sendall(data)
            finally:
                conn.close()
                log("echo complete, client connection closed")
    except KeyboardInterrupt:
        listening.close()
        log("quitting echo server")


if __name__ == '__main__':
    server()
    sys.exit(0)
