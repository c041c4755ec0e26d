"""GET of a folder (/ and a subfolder): a listing, as HTML or plain text, that names every
entry of that folder of the web root."""

from __future__ import annotations

from wire import (
    REPR_HOW,
    answered,
    ask,
    expect_blank_line,
    expect_status,
    looks_like_repr,
    request,
    webroot,
)

from grader.harness import Check, RunConfig, StudentServer

LISTING_TYPES = ("text/html", "text/plain")


def listing(check: Check, server: StudentServer, config: RunConfig, path: str) -> None:
    folder = webroot(config) / path.strip("/")
    names = sorted(p.name for p in folder.iterdir())
    asked = ask(check, server, request(path), f"GET {path}", config=config)
    response = answered(check, server, asked)
    expect_status(check, response, 200, what=f"GET {path} (a folder of webroot/)")
    expect_blank_line(check, response)
    if response.media_type not in LISTING_TYPES:
        said = response.header("content-type") or "(none)"
        check.fail(
            f"your listing of {path} says Content-Type: {said}; send it as text/html or text/plain."
        )
    index = folder / "index.html"
    if index.is_file() and response.body == index.read_bytes():
        check.explain("index_instead_of_listing", f"the body of {path} was webroot/index.html")
        check.fail(f"for {path} your server sent index.html instead of a listing.")
    if looks_like_repr(response.body):
        check.explain("body_as_str", f"the body began {response.body[:40]!r}", how=REPR_HOW)
        check.fail(f"your listing of {path} went out as Python's text of bytes (b'...').")
    text = response.body.decode("utf-8", "replace")
    missing = [n for n in names if n not in text]
    if missing:
        check.fail(
            f"your listing of {path} does not name {', '.join(missing)} (of the "
            f"{len(names)} entries of that folder)."
        )


def test_root_listing(check: Check, student_server: StudentServer, run_config: RunConfig) -> None:
    listing(check, student_server, run_config, "/")


def test_folder_listing(check: Check, student_server: StudentServer, run_config: RunConfig) -> None:
    listing(check, student_server, run_config, "/images/")
