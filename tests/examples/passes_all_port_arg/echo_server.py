"""Echo server for session 4.

Usage: python echo_server.py [PORT]   (PORT defaults to 10000)
"""
import socket
import sys


def server(log_buffer=sys.stderr, port=10000):
    address = ("127.0.0.1", port)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print(f"making a server on {address[0]}:{address[1]}", file=log_buffer)
    listener.bind(address)
    listener.listen(5)

    try:
        while True:
            print("waiting for a connection", file=log_buffer)
            conn, (client_host, client_port) = listener.accept()
            print(f"connection - {client_host}:{client_port}", file=log_buffer)
            with conn:
                # recv() returns b"" once the client has closed its end
                while data := conn.recv(16):
                    print(f'received "{data.decode("utf-8", "replace")}"', file=log_buffer)
                    conn.sendall(data)
            print("echo complete, client connection closed", file=log_buffer)
    except KeyboardInterrupt:
        print("quitting echo server", file=log_buffer)
    finally:
        listener.close()


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    server(port=port)
    sys.exit(0)
