"""`grade view`: only the results, only under the printed token, never the gradebook."""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.cli import main, view
from grader.errors import ExitCode


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    out = tmp_path / "grades"
    (out / "ada").mkdir(parents=True)
    (out / "index.html").write_text("<!DOCTYPE html><title>class</title>")
    (out / "grades.csv").write_text("identifier,score\nada,100\n")
    (out / "gradebook.sqlite").write_bytes(b"SQLite format 3\0 every student's results")
    (out / "gradebook.sqlite-wal").write_bytes(b"wal")
    (out / ".index.html.tmp").write_text("half a page")
    (out / "ada" / "report.html").write_text("<!DOCTYPE html><title>ada</title>")
    (out / "ada" / "results.json").write_text('{"score": 100}')
    (out / "ada" / "junit.xml").write_text("<testsuites/>")
    (out / "ada" / "notes.txt").write_text("not a result")
    (tmp_path / "secret.html").write_text("outside the results folder")
    (out / "ada" / "escape.html").symlink_to(tmp_path / "secret.html")
    server, url = view.serve(out)
    try:
        yield out, url
    finally:
        server.shutdown()
        server.server_close()


def status(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_serves_the_results_under_the_token(served: tuple[Path, str]) -> None:
    _, url = served
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    assert len(url.rstrip("/").rsplit("/", 1)[1]) >= 20  # the token
    for path, text in [
        ("", b"<title>class</title>"),
        ("index.html", b"<title>class</title>"),
        ("ada/report.html", b"<title>ada</title>"),
        ("ada/results.json", b'"score"'),
        ("ada/junit.xml", b"<testsuites/>"),
        ("grades.csv", b"ada,100"),
    ]:
        code, body = status(url + path)
        assert code == 200 and text in body, path


def test_never_the_gradebook_a_listing_or_anything_else(served: tuple[Path, str]) -> None:
    _, url = served
    for path in [
        "gradebook.sqlite",
        "gradebook.sqlite-wal",
        ".index.html.tmp",
        "ada/notes.txt",
        "ada/",  # a folder: its index.html or nothing, never a listing
        "ada/escape.html",  # a symlink out of the folder
        "../secret.html",
        "ada/%2e%2e/%2e%2e/secret.html",
    ]:
        assert status(url + path)[0] == 404, path


def test_nothing_without_the_token(served: tuple[Path, str]) -> None:
    _, url = served
    base = url.rstrip("/").rsplit("/", 1)[0]
    token = url.rstrip("/").rsplit("/", 1)[1]
    for path in ["/", "/index.html", "/ada/report.html", f"/{token[:-1]}/index.html"]:
        assert status(base + path)[0] == 404, path


def test_a_symlink_inside_the_folder_is_never_served(served: tuple[Path, str]) -> None:
    """A *.html link to the gradebook, a folder that is a link, a FIFO: all 404."""
    out, url = served
    (out / "ada" / "grades.html").symlink_to(out / "gradebook.sqlite")
    (out / "bob").symlink_to(out / "ada", target_is_directory=True)
    os.mkfifo(out / "ada" / "pipe.html")
    for path in ["ada/grades.html", "bob/report.html", "ada/pipe.html"]:
        assert status(url + path)[0] == 404, path
    assert status(url + "ada/report.html")[0] == 200


def request(url: str, host: str) -> int:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        conn.putrequest("GET", parts.path + "index.html", skip_host=True)
        if host:
            conn.putheader("Host", host)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_request_for_another_host_name_is_refused(served: tuple[Path, str]) -> None:
    """DNS rebinding: a page at evil.example whose name now points at 127.0.0.1."""
    _, url = served
    port = urllib.parse.urlsplit(url).port
    assert request(url, f"127.0.0.1:{port}") == 200
    assert request(url, f"LOCALHOST:{port}") == 200
    for host in [f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", ""]:
        assert request(url, host) == 421, host


def test_a_folder_without_results_is_refused(
    served: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = served
    assert view.entry_pages(out) == ["index.html"]
    assert view.entry_pages(out / "ada") == ["report.html"]
    single = tmp_path / "single"
    for name in ("zed", "ada"):
        (single / name).mkdir(parents=True)
        (single / name / "report.html").write_text("r")
        (single / name / "results.json").write_text("{}")
    assert view.entry_pages(single) == ["ada/report.html", "zed/report.html"]
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "notes.html").write_text("mine")
    assert main(["view", str(home)]) == ExitCode.USAGE
    assert "holds no results" in capsys.readouterr().err
