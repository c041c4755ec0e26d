"""Every diagnosis the http_server checks can give, in one place.

Each entry: the code a check emits, what it means in plain words (filled with the
check's numbers), and the evidence that triggers it. The checks (wire.py, test_*.py)
decide when; this file says what to tell the student. The words never quote an expected
body; evidence that does is marked `quotes_expected`. Every code has an example
submission in tests/examples_http/ whose report shows it.
"""

from __future__ import annotations

from grader.harness import HARNESS, Catalogue, Explanation

CATALOGUE = Catalogue(
    *HARNESS,  # python2, server_never_listens
    # ------------------------------------------------------------ the form of a response
    Explanation(
        "lf_line_ends",
        "the lines of your response end in \\n alone. HTTP ends the status line and every "
        "header with \\r\\n (carriage return, line feed), and the head with an empty "
        '\\r\\n: build them with "\\r\\n", not print() or "\\n".',
        "a line of the status line and headers does not end in \\r\\n",
    ),
    Explanation(
        "no_blank_line",
        "your response has no empty line after its headers, so a client cannot tell where "
        "the headers end and the body begins: send \\r\\n once more after the last header "
        "(the head ends with \\r\\n\\r\\n), then the body.",
        "the response's bytes hold no \\r\\n\\r\\n (nor \\n\\n) after the status line",
    ),
    Explanation(
        "body_as_str",
        "your server turned the body (bytes) into text before sending it: {how}. Keep the "
        "file's bytes as bytes: read with open(path, 'rb'), encode only the head "
        "(head.encode()), and send head + body.",
        "the body is Python's repr of bytes (b'...') of what was asked for, or the server "
        "crashed with a TypeError mixing str and bytes",
    ),
    Explanation(
        "wrong_content_type",
        "for a .{ext} file your server said Content-Type: {said}; a browser needs {want} to "
        "show it. Pick the type from the file's extension (mimetypes.guess_type(path) does "
        "it).",
        "the Content-Type of a served file is not the type of its extension",
    ),
    Explanation(
        "content_length_mismatch",
        "your Content-Length says {said} bytes but the body has {got}. Content-Length "
        'counts bytes, not characters: take len() of the encoded body (a UTF-8 "é" is 2 '
        "bytes), and send the body exactly once.",
        "the Content-Length header differs from the number of body bytes that came before "
        "the server closed",
    ),
    Explanation(
        "no_length_no_close",
        "your server sent a response without Content-Length and then kept the connection "
        "open, so the client cannot know the body has ended and waits forever. Send "
        "Content-Length: <bytes of the body>, or close the connection after the body.",
        "a response head without Content-Length, then the server sat idle with the connection open",
    ),
    Explanation(
        "bad_status_line",
        "the first line of your response is not a status line: it must read like "
        "`HTTP/1.1 200 OK` (the version, a space, the three-digit code, a space, the "
        "reason), ending in \\r\\n.",
        "the first line does not match HTTP/x.y NNN reason",
    ),
    # ------------------------------------------------------------ what it answers
    Explanation(
        "wrong_status",
        "for {what} your server answered {said}; it must answer {want}.",
        "the status code differs from the one the request calls for",
    ),
    Explanation(
        "index_instead_of_listing",
        "for a folder your server sent the folder's index.html; this homework asks for a "
        "listing of the folder's entries (HTML or plain text), one name per entry.",
        "the body for / is the bytes of webroot/index.html",
    ),
    Explanation(
        "serves_outside_webroot",
        "your server served a file outside webroot/ for a path with .. in it: anybody "
        "could read any file your server can. Resolve the path (os.path.realpath) and "
        "refuse, with 403 or 404, any result that is not inside webroot/.",
        "a request for a path that climbs out of webroot/ was answered 2xx",
    ),
    # ------------------------------------------------------------ reading and surviving
    Explanation(
        "single_recv",
        "your server read the request with a single recv() and answered what had arrived "
        "so far ({got} of {total} bytes). TCP delivers a stream, not messages: one recv() "
        "may return part of the request. Keep receiving until the empty line that ends "
        'the headers (b"\\r\\n\\r\\n") has arrived.',
        "the server answered, or closed, before the whole request (sent in pieces) had been sent",
    ),
    Explanation(
        "server_waits_for_close",
        "your server kept reading the request, waiting for more, while the client waited "
        "for the answer: both wait forever, a deadlock. A browser does not close its side "
        'after the request; stop reading at the empty line (b"\\r\\n\\r\\n") and answer.',
        "the whole request was sent, the server sent nothing back and sat idle (no CPU, no timer)",
    ),
    Explanation(
        "crash_on_missing_file",
        "your server crashed when asked for a file that does not exist: open() raised "
        "{error} and nothing caught it. Check first (os.path.isfile) or catch the error, "
        "and answer 404 Not Found.",
        "the server died with FileNotFoundError (or another OSError of open) in its traceback",
    ),
    Explanation(
        "server_crashed",
        "your server process ended during this request: it raised an exception that nothing "
        "caught (your code's frames of the traceback are below). A server should survive "
        "any request and answer 400 to one it cannot understand.",
        "the server process died while the grader's client was talking to it",
    ),
    Explanation(
        "server_stops_after_first_request",
        "your server stopped after its first request. A web server answers one request per "
        "connection, closes that connection, and goes back to accept() for the next "
        "client, in a loop (`while True: conn, addr = sock.accept() ...`).",
        "after one request was answered the server no longer listened",
    ),
)
