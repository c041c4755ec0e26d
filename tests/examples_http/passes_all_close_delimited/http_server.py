"""Homework: a small web server on a TCP socket (serves the files of webroot/).

No Content-Length: the connection's close ends each body, which HTTP allows.
"""

import mimetypes
import os
import socket
import sys

HOST = "127.0.0.1"
PORT = 10000
WEBROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "webroot")


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(1024)
        if not chunk:
            break
        data += chunk
    return data


def make_response(code, reason, body, ctype="text/plain"):
    head = f"HTTP/1.1 {code} {reason}\r\n"
    head += f"Content-Type: {ctype}\r\n"
    head += "\r\n"
    return head.encode() + body


def find(path):
    full = os.path.realpath(os.path.join(WEBROOT, path.lstrip("/")))
    if not full.startswith(os.path.realpath(WEBROOT)):
        return None
    if not os.path.exists(full):
        return None
    return full


def handle(request):
    line = request.split(b"\r\n")[0].decode()
    parts = line.split(" ")
    if len(parts) != 3:
        return make_response(400, "Bad Request", b"bad request\n")
    method, path, version = parts
    if method != "GET":
        return make_response(405, "Method Not Allowed", b"only GET\n")
    full = find(path)
    if full is None:
        return make_response(404, "Not Found", b"not found\n")
    if os.path.isdir(full):
        names = "\n".join(sorted(os.listdir(full))) + "\n"
        return make_response(200, "OK", names.encode())
    with open(full, "rb") as f:
        body = f.read()
    ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
    return make_response(200, "OK", body, ctype)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else PORT
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(5)
    print("listening on", port)
    while True:
        conn, addr = sock.accept()
        request = read_request(conn)
        if request:
            conn.sendall(handle(request))
            print(addr, request.split(b"\r\n")[0])
        conn.close()


if __name__ == "__main__":
    main()
