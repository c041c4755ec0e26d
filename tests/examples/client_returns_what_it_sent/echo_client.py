import socket
import sys


def client(msg, log_buffer=sys.stderr):
    host = 'localhost'
    port = 10000
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    log_buffer.write(f"connecting to {host} port {port}\n")
    sock.connect((host, port))
    try:
        log_buffer.write(f'sending "{msg}"\n')
        encoded = msg.encode()
        sock.sendall(encoded)
        got = 0
        while got < len(encoded):
            piece = sock.recv(16)
            if not piece:
                break
            got += len(piece)
            log_buffer.write(f'received "{piece.decode(errors="replace")}"\n')
    finally:
        log_buffer.write("closing socket\n")
        sock.close()
    # the server sends back exactly what we sent, so return that
    return msg


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.stderr.write('usage: python echo_client.py "this is my message"\n')
        sys.exit(1)
    client(sys.argv[1])
