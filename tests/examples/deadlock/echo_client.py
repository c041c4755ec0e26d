import socket
import sys


def client(msg, log_buffer=sys.stderr):
    server_address = ("localhost", 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("connecting to {} port {}".format(*server_address), file=log_buffer)
    sock.connect(server_address)

    reply = b""
    try:
        print(f'sending "{msg}"', file=log_buffer)
        sock.sendall(msg.encode())
        # read until the server closes the connection, then we have it all
        while True:
            chunk = sock.recv(16)
            if not chunk:
                break
            print(f'received "{chunk.decode(errors="replace")}"', file=log_buffer)
            reply += chunk
    finally:
        print("closing socket", file=log_buffer)
        sock.close()
    return reply.decode()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print('usage: python echo_client.py "this is my message"', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
