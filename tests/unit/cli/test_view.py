"""`grade view`: only the results, only under the printed token, never the gradebook."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.cli import view


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
