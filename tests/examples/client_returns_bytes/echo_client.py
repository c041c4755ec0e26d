import socket
import sys


def client(msg, log_buffer=sys.stderr):
    address = ("localhost", 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("connecting to %s port %s" % address, file=log_buffer)
    sock.connect(address)

    to_send = msg.encode("utf-8")
    chunks = []
    received = 0
    try:
        print('sending "%s"' % msg, file=log_buffer)
        sock.sendall(to_send)
        while received < len(to_send):
            chunk = sock.recv(16)
            if not chunk:
                break
            print('received "%s"' % chunk.decode("utf-8", "replace"), file=log_buffer)
            chunks.append(chunk)
            received += len(chunk)
    finally:
        print("closing socket", file=log_buffer)
        sock.close()

    return b"".join(chunks)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print('usage: python echo_client.py "this is my message"', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
