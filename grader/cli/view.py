"""`grade view DIR`: serve a results folder on 127.0.0.1 so reports open in a browser.

Only the results are served (report and class pages, results.json, junit.xml,
grades.csv), never the gradebook, hidden files or a folder listing, and only under a
random token in the URL: on a shared machine another local user can reach the port, but
not guess the address, which is printed to the instructor alone (and handed to the
browser through a private file, not its command line, which other users can read).

Only regular files are served, opened from the folder down one component at a time with
O_NOFOLLOW: a symlink planted anywhere in the path (say `ada/report.html` pointing at the
gradebook) is a 404. A request whose Host header is not 127.0.0.1:PORT or localhost:PORT
is refused, so a web page that rebinds its own name to 127.0.0.1 cannot read the results.
A folder that holds no results (neither a batch's nor a grade's output) is refused.
"""

from __future__ import annotations

import hmac
import http.server
import os
import secrets
import stat
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
LOOK_AT = 10_000  # entries of a folder looked at for results before refusing it


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
    port: int

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        if not self._host_ok():
            self.send_error(421, "Misdirected Request")
            return
        relative = self._target()
        data = None if relative is None else read_regular(self.root, relative=relative)
        if relative is None or data is None:
            self.send_error(404, "Not Found")
            return
        suffix = "." + relative.rpartition(".")[2]
        self.send_response(200)
        self.send_header("Content-Type", SERVED.get(suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _host_ok(self) -> bool:
        """The Host header names this server by its loopback address or localhost: a
        DNS-rebinding page sends its own name."""
        host = (self.headers.get("Host") or "").strip().lower()
        return host in (f"127.0.0.1:{self.port}", f"localhost:{self.port}")

    def _target(self) -> str | None:
        """The result file asked for, relative to the folder, or None."""
        path = urlsplit(self.path).path
        given, _, rest = path.removeprefix("/").partition("/")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return None
        relative = unquote(rest)
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        return relative if servable(relative) else None


def read_regular(root: Path, *, relative: str, read: bool = True) -> bytes | None:
    """The bytes of root/relative if every component is a real folder and the last a
    regular file (no symlink anywhere, no FIFO or device), else None; with read=False,
    b"" for such a file (whether it is one, without reading it)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    parts = relative.split("/")
    try:
        fd = os.open(root, flags | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        for part in parts[:-1]:
            inner = os.open(part, flags | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        leaf = os.open(parts[-1], flags | os.O_NONBLOCK, dir_fd=fd)
        with os.fdopen(leaf, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            return f.read() if read else b""
    except OSError:
        return None
    finally:
        os.close(fd)


def entry_pages(folder: Path) -> list[str]:
    """The pages to open in a results folder: a batch's class page, one submission's
    report, or each report under a `grade --out` folder; none for any other folder."""
    if _has(folder, "index.html", "grades.csv"):
        return ["index.html"]
    if _has(folder, "report.html", "results.json"):
        return ["report.html"]
    pages = []
    try:
        with os.scandir(folder) as entries:
            for n, entry in enumerate(entries):
                if n >= LOOK_AT:
                    break
                if entry.is_dir(follow_symlinks=False) and _has(
                    Path(entry.path), "report.html", "results.json"
                ):
                    pages.append(f"{entry.name}/report.html")
    except OSError:
        return []
    return sorted(pages)


def _has(folder: Path, *names: str) -> bool:
    return all(read_regular(folder, relative=n, read=False) is not None for n in names)


def serve(folder: Path, *, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start serving folder in a background thread; return the server and its URL (which
    holds the token: without it, nothing is served)."""
    token = secrets.token_urlsafe(18)
    handler: type[_Results] = type(
        "Results", (_Results,), {"root": folder.resolve(), "token": token, "port": port}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    host, bound = server.server_address[:2]
    handler.port = int(bound)  # before the first request: the Host header must name it
    threading.Thread(target=server.serve_forever, daemon=True, name="grade-view").start()
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
    pages = entry_pages(folder)
    if not pages:
        raise UsageError(
            f"{folder} holds no results (no class page, no report.html); give the --out "
            "folder of `grade` or `grade --roster`, e.g. `grade view grades/`."
        )
    server, base = serve(folder)
    url = base if pages == ["index.html"] else base + pages[0]
    print(f"serving the results in {folder} at {url}  (Ctrl-C to stop)", file=out, flush=True)
    for page in pages[1:20]:
        print(f"  and {base}{page}", file=out, flush=True)
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
