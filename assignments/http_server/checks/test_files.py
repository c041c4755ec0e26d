"""GET of a file: 200 OK, the file's bytes exactly, the right Content-Type; and the form
of a response (status line, CRLF line ends, an empty line, a Content-Length that counts
the body's bytes, or a close that ends it). Each check starts its own server."""

from __future__ import annotations

from wire import (
    REPR_HOW,
    answered,
    ask,
    expect_body,
    expect_status,
    expect_type,
    looks_like_repr,
    request,
    webroot,
)

from grader.harness import Check, RunConfig, StudentServer


def get_file(check: Check, server: StudentServer, config: RunConfig, rel: str, want: str) -> None:
    """GET /rel must answer 200 with webroot/rel's bytes and Content-Type `want`."""
    data = (webroot(config) / rel).read_bytes()
    asked = ask(check, server, request(f"/{rel}"), f"GET /{rel}", config=config)
    response = answered(check, server, asked)
    expect_status(check, response, 200, what=f"GET /{rel} (a file of webroot/)")
    expect_body(check, response, data, name=f"webroot/{rel}")
    expect_type(check, response, want, ext=rel.rsplit(".", 1)[1])


def test_get_text_file(check: Check, student_server: StudentServer, run_config: RunConfig) -> None:
    get_file(check, student_server, run_config, "hello.txt", "text/plain")


def test_get_html_file(check: Check, student_server: StudentServer, run_config: RunConfig) -> None:
    get_file(check, student_server, run_config, "index.html", "text/html")


def test_get_png_image(check: Check, student_server: StudentServer, run_config: RunConfig) -> None:
    get_file(check, student_server, run_config, "images/logo.png", "image/png")


def test_get_jpeg_image(check: Check, student_server: StudentServer, run_config: RunConfig) -> None:
    get_file(check, student_server, run_config, "images/photo.jpg", "image/jpeg")


def test_response_form(check: Check, student_server: StudentServer, run_config: RunConfig) -> None:
    """The page with non-ASCII text, read strictly: what a browser relies on."""
    asked = ask(check, student_server, request("/index.html"), "GET /index.html", config=run_config)
    response = answered(check, student_server, asked)
    expect_status(check, response, 200, what="GET /index.html")
    problems: list[str] = []
    if not response.crlf:
        check.explain("lf_line_ends", f"the head was {response.raw[:200]!r}")
        problems.append("its lines do not all end in \\r\\n")
    if not response.blank_line:
        check.explain("no_blank_line", f"the {len(response.raw)} bytes hold no empty line")
        problems.append("no empty line ends its headers")
    elif response.length_bad:
        problems.append(
            f"its Content-Length is not a number ({response.header('content-length')!r})"
        )
    elif looks_like_repr(response.body, (webroot(run_config) / "index.html").read_bytes()):
        check.explain("body_as_str", f"the body began {response.body[:40]!r}", how=REPR_HOW)
        problems.append("its body is Python's text of bytes (b'...'), not the bytes")
    elif response.length is not None and response.length != response.came:
        check.explain(
            "content_length_mismatch",
            f"Content-Length: {response.length}; {response.came} bytes came after the headers",
            said=response.length,
            got=response.came,
        )
        problems.append(f"its Content-Length says {response.length} bytes, {response.came} came")
    elif response.length is None and not asked.traffic.eof:
        problems.append("it has no Content-Length and the connection stayed open")
    if problems:
        check.fail("your response is not in proper form: " + "; ".join(problems) + ".")
