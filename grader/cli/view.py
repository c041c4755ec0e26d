"""`grade view DIR`: serve a results folder on 127.0.0.1 so reports open in a browser."""

from __future__ import annotations

import functools
import http.server
import os
import threading
import webbrowser
from pathlib import Path
from typing import TextIO

from grader.errors import ExitCode, UsageError


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def serve(folder: Path, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start serving folder in a background thread; return the server and its URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="grade-view").start()
    host, bound = server.server_address[:2]
    return server, f"http://{host!s}:{bound}/"


def main(argv: list[str], out: TextIO) -> int:
    """`grade view [DIR]`: serve until Ctrl-C."""
    folder = Path(argv[0] if argv else "grades")
    if len(argv) > 1 or not folder.is_dir():
        raise UsageError(f"`grade view` takes one results folder; {folder} is not a folder.")
    server, url = serve(folder)
    print(f"serving {folder} at {url}  (Ctrl-C to stop)", file=out, flush=True)
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        webbrowser.open(url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return int(ExitCode.OK)
