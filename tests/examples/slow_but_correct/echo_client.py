"""A correct client that takes its time: it pauses before reading the reply."""
import socket
import sys
import time


def client(msg, log_buffer=sys.stderr):
    sock = socket.create_connection(("localhost", 10000))
    print("connecting to localhost port 10000", file=log_buffer)
    try:
        data = msg.encode("utf-8")
        print(f'sending "{msg}"', file=log_buffer)
        sock.sendall(data)
        time.sleep(0.15)  # slow, but never longer than the check allows
        reply = b""
        while len(reply) < len(data):
            chunk = sock.recv(16)
            if not chunk:
                break
            print(f'received "{chunk.decode("utf-8", "replace")}"', file=log_buffer)
            reply += chunk
        return reply.decode("utf-8")
    finally:
        print("closing socket", file=log_buffer)
        sock.close()
