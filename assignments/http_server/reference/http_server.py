"""Reference solution: a small HTTP/1.1 server over a plain TCP socket.

It listens on 127.0.0.1 and, for each client, reads one request, answers it from the
webroot/ folder next to this file, and closes the connection; clients are served one
at a time, until Ctrl-C.

    GET of a file          200 OK, the file's bytes, its Content-Type
    GET of a folder        200 OK, an HTML listing of the folder
    GET of anything else   404 Not Found (also for paths that leave webroot/)
    any other method       405 Method Not Allowed
    a malformed request    400 Bad Request

Usage: python http_server.py [PORT]   (default: 10000)
"""

import html
import os
import socket
import sys
from urllib.parse import unquote

DEFAULT_PORT = 10000
USAGE = "usage: python http_server.py [PORT]"
WEBROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "webroot")
CRLF = b"\r\n"
MAX_REQUEST = 65536  # bytes of request line and headers we are willing to read
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
}


def log(log_buffer, line):
    """Write one line to the log and flush it, so it shows up at once."""
    print(line, file=log_buffer, flush=True)


def read_request(conn):
    """Read until the blank line that ends the headers; return those bytes.

    TCP delivers a stream, not messages: one recv() may return a few bytes of the
    request, so keep reading until b"\\r\\n\\r\\n" has arrived (or the client gave up).
    """
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_REQUEST:
            break
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def response(status, body, content_type="text/plain; charset=utf-8", extra=()):
    """The bytes of a whole response: status line, headers, blank line, body.

    Everything is bytes: the body of an image must go out exactly as read from disk,
    and Content-Length counts bytes (a UTF-8 "é" is two of them).
    """
    lines = [
        f"HTTP/1.1 {status} {REASONS[status]}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *extra,
    ]
    head = CRLF.join(line.encode("ascii") for line in lines)
    return head + CRLF + CRLF + body


def error(status, message, extra=()):
    return response(status, (message + "\n").encode("utf-8"), extra=extra)


def resolve(target):
    """The file or folder a request target names inside WEBROOT, or None if it would
    leave WEBROOT (e.g. /../secret) or does not exist."""
    path = unquote(target.split("?", 1)[0])
    if "\0" in path:
        return None
    full = os.path.realpath(os.path.join(WEBROOT, path.lstrip("/")))
    root = os.path.realpath(WEBROOT)
    if full != root and not full.startswith(root + os.sep):
        return None
    return full if os.path.exists(full) else None


def listing(folder, target):
    """An HTML page that lists a folder, each entry a link (folders end in /)."""
    base = target.split("?", 1)[0]
    if not base.endswith("/"):
        base += "/"
    items = []
    for name in sorted(os.listdir(folder)):
        shown = name + ("/" if os.path.isdir(os.path.join(folder, name)) else "")
        link = html.escape(base + shown, quote=True)
        items.append(f'<li><a href="{link}">{html.escape(shown)}</a></li>')
    title = html.escape(base)
    page = (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Index of {title}</title>'
        f"</head>\n<body><h1>Index of {title}</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>\n"
        "</body></html>\n"
    )
    return response(200, page.encode("utf-8"), "text/html; charset=utf-8")


def answer(request):
    """The response to one request (the bytes read by read_request)."""
    head = request.split(b"\r\n", 1)[0].decode("latin-1")
    parts = head.split(" ")
    if len(parts) != 3 or not parts[1].startswith("/") or not parts[2].startswith("HTTP/"):
        return error(400, "Bad Request: the request line must be METHOD /path HTTP/1.1")
    method, target, _version = parts
    if method != "GET":
        return error(405, f"Method Not Allowed: {method}", extra=("Allow: GET",))
    full = resolve(target)
    if full is None:
        return error(404, "Not Found")
    if os.path.isdir(full):
        return listing(full, target)
    with open(full, "rb") as f:
        body = f.read()
    kind = TYPES.get(os.path.splitext(full)[1].lower(), "application/octet-stream")
    return response(200, body, kind)


def server(log_buffer=sys.stderr, port=DEFAULT_PORT):
    """Serve files from WEBROOT on 127.0.0.1:port, one client at a time."""
    address = ("127.0.0.1", port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    log(log_buffer, f"serving {WEBROOT} on http://{address[0]}:{address[1]}/")
    sock.bind(address)
    sock.listen(5)
    try:
        while True:
            conn, addr = sock.accept()
            try:
                request = read_request(conn)
                if not request:
                    continue  # the client connected and left without asking anything
                reply = answer(request)
                conn.sendall(reply)
                log(log_buffer, f"{addr[0]}:{addr[1]} {request.split(CRLF, 1)[0]!r} -> "
                    f"{reply.split(CRLF, 1)[0].decode()}")  # fmt: skip
            except OSError as err:
                # One misbehaving client must not bring the server down for the others.
                log(log_buffer, f"connection error - {addr[0]}:{addr[1]}: {err}")
            finally:
                conn.close()
    except KeyboardInterrupt:
        log(log_buffer, "quitting web server")
    finally:
        sock.close()


def port_from_command_line(argv):
    """Return the port from argv[1], DEFAULT_PORT without one, or None if invalid."""
    if len(argv) > 2:
        return None
    try:
        port = int(argv[1]) if len(argv) == 2 else DEFAULT_PORT
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None


if __name__ == "__main__":
    chosen_port = port_from_command_line(sys.argv)
    if chosen_port is None:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    server(port=chosen_port)
    sys.exit(0)
