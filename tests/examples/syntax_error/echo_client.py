import socket
import sys


def client(msg, log_buffer=sys.stderr):
    host, port = "localhost", 10000
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("connecting to {} port {}".format(host, port), file=log_buffer)
    sock.connect((host, port))

    out_bytes = msg.encode("utf8")
    reply = b""
    try:
        print('sending "{}"'.format(msg), file=log_buffer)
        sock.sendall(out_bytes)
        while len(reply) < len(out_bytes)
            piece = sock.recv(16)
            if not piece:
                break
            print('received "{}"'.format(piece.decode("utf8", "replace")), file=log_buffer)
            reply += piece
    finally:
        print("closing socket", file=log_buffer)
        sock.close()
    return reply.decode("utf8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print('usage: python echo_client.py "this is my message"', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
