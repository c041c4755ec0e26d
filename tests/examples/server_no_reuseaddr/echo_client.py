import socket
import sys


def client(msg, log_buffer=sys.stderr):
    host, port = "localhost", 10000
    print("connecting to {} port {}".format(host, port), file=log_buffer)
    sock = socket.create_connection((host, port))

    data_out = msg.encode("utf-8")
    data_in = b""
    try:
        print('sending "{}"'.format(msg), file=log_buffer)
        sock.sendall(data_out)
        while len(data_in) < len(data_out):
            chunk = sock.recv(16)
            if not chunk:
                break
            print('received "{}"'.format(chunk.decode("utf-8", "replace")), file=log_buffer)
            data_in += chunk
    finally:
        print("closing socket", file=log_buffer)
        sock.close()
    return data_in.decode("utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print('usage: python echo_client.py "this is my message"', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
