"""A web server (homework skeleton).

The server listens on 127.0.0.1 and, for every client that connects, reads ONE HTTP
request, answers it from the webroot/ folder next to this file, and closes that
connection. It then waits for the next client. Clients are served one at a time, and the
server keeps running until it is interrupted with Ctrl-C.

Usage: python http_server.py [PORT]   (default: 10000)
Then open http://127.0.0.1:10000/ in your browser.

Fill in the numbered TODOs, in order. Use only the `socket` module for the network
(no http.server, no socketserver); `os` and `mimetypes` are fine for files and types.
The `# noqa` comments only stop linters from warning about names that the TODOs will
use; delete them when you are done.
"""

import mimetypes  # noqa: F401
import os
import socket  # noqa: F401
import sys

DEFAULT_PORT = 10000
USAGE = "usage: python http_server.py [PORT]"
# The folder whose files the server serves: webroot/ next to this file.
WEBROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "webroot")
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def log(log_buffer, line):
    """Write one line to the log and flush it, so it shows up at once."""
    print(line, file=log_buffer, flush=True)


def read_request(conn):
    """Return the bytes of one request: everything up to and including the empty line
    (b"\\r\\n\\r\\n") that ends its headers."""
    data = b""
    # TODO 5: receive from `conn` in a loop, adding each chunk to `data`, until
    #         b"\r\n\r\n" is in `data`, or recv() returns b"" (the client gave up).
    #         Why a loop: TCP delivers a stream of bytes, not messages. One recv() may
    #         return only the first few bytes of the request; a browser does not close
    #         its side after the request, it waits for your answer.
    return data


def response(status, body, content_type="text/plain; charset=utf-8"):
    """Return the bytes of a whole response: status line, headers, empty line, body.

    `body` is bytes. Example of what the first lines look like:
        HTTP/1.1 200 OK\\r\\n
        Content-Type: text/plain; charset=utf-8\\r\\n
        Content-Length: 42\\r\\n
        \\r\\n
    """
    # TODO 6: build the head as text (status line, Content-Type, Content-Length,
    #         "Connection: close"), each line ending in "\r\n", then one more "\r\n".
    #         Content-Length is the number of BYTES of the body: len(body).
    #         Return head.encode() + body: never turn the body into text (an image is
    #         not text, and f"{body}" gives "b'...'").
    return b""


def content_type(path):
    """Return the Content-Type of a file from its extension: text/html for .html,
    text/plain for .txt, image/png for .png, image/jpeg for .jpg."""
    # TODO 7: return the right type (mimetypes.guess_type(path)[0] knows them all);
    #         "application/octet-stream" for anything unknown.
    return "application/octet-stream"


def listing(folder, target):
    """Return a response that lists the entries of `folder` (the request's `target`)."""
    names = sorted(os.listdir(folder))
    lines = [f"Index of {target}", ""] + names
    return response(200, ("\n".join(lines) + "\n").encode("utf-8"))


def answer(request):
    """Return the response (bytes) to one request (the bytes read by read_request)."""
    request_line = request.split(b"\r\n", 1)[0].decode("latin-1")
    # TODO 8: answer the request:
    #   a. split the request line into METHOD, TARGET and VERSION (three parts);
    #      anything else: response(400, b"Bad Request\n")
    #   b. a METHOD other than GET: response(405, b"Method Not Allowed\n")
    #   c. the file or folder: os.path.join(WEBROOT, target.lstrip("/")). Never serve
    #      anything outside WEBROOT (think of GET /../secret.txt): compare
    #      os.path.realpath of the path with os.path.realpath(WEBROOT).
    #   d. nothing there (or outside WEBROOT): response(404, b"Not Found\n")
    #   e. a folder: listing(path, target)
    #   f. a file: its bytes (open it with "rb") with content_type(path)
    log(sys.stderr, f"asked: {request_line}")
    return response(404, b"Not Found\n")


def server(log_buffer=sys.stderr, port=DEFAULT_PORT):
    """Serve the files of WEBROOT on 127.0.0.1:port, one client at a time."""
    address = ("127.0.0.1", port)

    # TODO 1: replace None with a new TCP socket (SOCK_STREAM) using IPv4 addresses
    #         (AF_INET). Keep the name `sock`.
    sock = None

    # TODO 2: set the SO_REUSEADDR option (level SOL_SOCKET) on `sock`, so that the
    #         server can restart at once on the same port.

    # TODO 3: bind `sock` to `address`, then make it listen for connections.

    log(log_buffer, f"serving {WEBROOT} on http://{address[0]}:{address[1]}/")
    try:
        while True:
            # TODO 4: nothing to write: accept() waits for a client and returns a new
            #         socket for it. Read its request, send the answer with sendall(),
            #         and close the connection (never `sock`).
            conn, addr = sock.accept()
            try:
                request = read_request(conn)
                if request:
                    conn.sendall(answer(request))
            except OSError as err:
                log(log_buffer, f"connection error - {addr[0]}:{addr[1]}: {err}")
            finally:
                conn.close()
    except KeyboardInterrupt:
        log(log_buffer, "quitting web server")
    finally:
        if sock is not None:
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
