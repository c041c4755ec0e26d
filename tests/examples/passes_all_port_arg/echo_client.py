import socket
import sys


def client(msg, log_buffer=sys.stderr, port=10000):
    host = "localhost"
    payload = msg.encode("utf-8")
    chunks = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        print(f"connecting to {host} port {port}", file=log_buffer)
        sock.connect((host, port))
        try:
            print(f'sending "{msg}"', file=log_buffer)
            sock.sendall(payload)
            remaining = len(payload)
            while remaining > 0:
                chunk = sock.recv(16)
                if not chunk:  # server hung up before echoing everything
                    break
                print(f'received "{chunk.decode("utf-8", "replace")}"', file=log_buffer)
                chunks.append(chunk)
                remaining -= len(chunk)
        finally:
            print("closing socket", file=log_buffer)
    return b"".join(chunks).decode("utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print('usage: python echo_client.py "this is my message"', file=sys.stderr)
        sys.exit(1)
    client(sys.argv[1])
