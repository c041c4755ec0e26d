"""`grade-peer send --until-close`: any request, read until the server closes, shown line
by line as bytes (so a missing \\r shows); the reproduce commands of protocols that are
not an echo use it."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator

import pytest

from grader.cli.peer import main


@pytest.fixture
def web_server() -> Iterator[int]:
    """Answers one request with LF line ends, then closes (stands for a student's)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data and (chunk := conn.recv(1024)):
                data += chunk
            conn.sendall(b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nhello\n")

    threading.Thread(target=serve, daemon=True).start()
    yield int(listener.getsockname()[1])
    listener.close()


def test_until_close_shows_the_whole_reply_line_by_line(
    web_server: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    request = b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(request)))
    argv = ["send", "--until-close", "--port", str(web_server), "--pieces", "2", "--pause", "0.05"]
    assert main([*argv, "-"]) == 0
    out = capsys.readouterr().out
    assert f"sent     {len(request)} of {len(request)} bytes" in out
    assert "  b'HTTP/1.1 200 OK\\n'\n" in out  # the missing \r is plain to see
    assert "  b'hello\\n'\n" in out
    assert "the server closed the connection" in out
