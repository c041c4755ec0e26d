"""`grade view DIR`: serve a results folder on 127.0.0.1 so reports open in a browser.

Only the results are served (report and class pages, results.json, junit.xml,
grades.csv), never the gradebook, hidden files or a folder listing, and only under a
random token in the URL: on a shared machine another local user can reach the port, but
not guess the address, which is printed to the instructor alone (and handed to the
browser through a private file, not its command line, which other users can read).
"""

from __future__ import annotations

import hmac
import http.server
import os
import secrets
import tempfile
import threading
import webbrowser
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote, urlsplit

from grader.errors import ExitCode, UsageError

SERVED = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".csv": "text/csv; charset=utf-8",
}
SERVED_NAMES = {"results.json", "junit.xml", "grades.csv"}  # besides every *.html page


def servable(relative: str) -> bool:
    """Whether a path inside the results folder is a result (and not, say, the gradebook)."""
    parts = relative.split("/")
    if any(not p or p.startswith(".") for p in parts):
        return False
    name = parts[-1]
    return name.endswith(".html") or name in SERVED_NAMES


class _Results(http.server.BaseHTTPRequestHandler):
    """GET and HEAD of result files under /<token>/; everything else is 404."""

    server_version = "grade-view"
    sys_version = ""
    root: Path
    token: str

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        target = self._target()
        if target is None:
            self.send_error(404, "Not Found")
            return
        try:
            data = target.read_bytes()
        except OSError:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", SERVED.get(target.suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _target(self) -> Path | None:
        path = urlsplit(self.path).path
        given, _, rest = path.removeprefix("/").partition("/")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return None
        relative = unquote(rest)
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        if not servable(relative):
            return None
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root) or not target.is_file():
            return None
        return target


def serve(folder: Path, *, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start serving folder in a background thread; return the server and its URL (which
    holds the token: without it, nothing is served)."""
    token = secrets.token_urlsafe(18)
    handler = type("Results", (_Results,), {"root": folder.resolve(), "token": token})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="grade-view").start()
    host, bound = server.server_address[:2]
    return server, f"http://{host!s}:{bound}/{token}/"


def _open_privately(url: str) -> Path:
    """Open url in a browser through a file only this user can read."""
    folder = Path(tempfile.mkdtemp(prefix="grade-view-"))
    page = folder / "open.html"
    fd = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f'<!DOCTYPE html><meta http-equiv="refresh" content="0; url={url}">')
    webbrowser.open(page.as_uri())
    return folder


def main(argv: list[str], *, out: TextIO) -> int:
    """`grade view [DIR]`: serve until Ctrl-C."""
    folder = Path(argv[0] if argv else "grades")
    if len(argv) > 1 or not folder.is_dir():
        raise UsageError(f"`grade view` takes one results folder; {folder} is not a folder.")
    server, url = serve(folder)
    print(f"serving the results in {folder} at {url}  (Ctrl-C to stop)", file=out, flush=True)
    opened = None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        opened = _open_privately(url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
        if opened is not None:
            for child in opened.iterdir():
                child.unlink()
            opened.rmdir()
    return int(ExitCode.OK)
