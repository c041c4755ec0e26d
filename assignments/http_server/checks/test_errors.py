"""What a server answers when it cannot serve: 404 for a missing file (without crashing),
405 for a method other than GET, 400 for a request line it cannot read, and never a
file outside the web root (a hidden check)."""

from __future__ import annotations

from wire import answered, ask, expect_status, expect_status_line, request

from grader.harness import Check, RunConfig, Servers, StudentServer


def test_missing_file_404(
    check: Check, student_server: StudentServer, run_config: RunConfig
) -> None:
    path = "/no-such-file.txt"
    asked = ask(check, student_server, request(path), f"GET {path}", config=run_config)
    response = answered(check, student_server, asked, missing=True)
    expect_status(check, response, 404, what=f"GET {path} (no such file in webroot/)")


def test_method_not_allowed_405(
    check: Check, student_server: StudentServer, run_config: RunConfig
) -> None:
    sent = request("/hello.txt", method="POST", headers="Content-Length: 0\r\n")
    asked = ask(check, student_server, sent, "POST /hello.txt", config=run_config)
    response = answered(check, student_server, asked)
    expect_status(check, response, 405, what="POST /hello.txt (only GET is served)")


def test_bad_request_400(
    check: Check, student_server: StudentServer, run_config: RunConfig
) -> None:
    sent = b"this is not HTTP\r\n\r\n"
    asked = ask(
        check,
        student_server,
        sent,
        "a request line that is not METHOD PATH VERSION",
        config=run_config,
    )
    response = answered(check, student_server, asked)
    expect_status(check, response, 400, what="a malformed request line")


def test_path_outside_webroot(
    check: Check, student_server: StudentServer, servers: Servers, run_config: RunConfig
) -> None:
    """Paths that climb out of webroot/ to the server's own file must not be served; each
    goes to a server of its own, so a server that answers once and stops is judged on
    what it answered."""
    staged = run_config.file("server")
    assert staged is not None  # the check's `needs` made sure
    own = (run_config.staged / staged.name).read_bytes()
    for i, path in enumerate((f"/../{staged.name}", f"/images/../../{staged.name}")):
        server = student_server if i == 0 else servers.start()
        asked = ask(check, server, request(path), f"GET {path}", config=run_config)
        response = answered(check, server, asked)
        code = expect_status_line(check, response)
        if 400 <= code < 500:
            continue
        said = f"{code} {response.reason}".strip()
        if 200 <= code < 300 and response.body and own.startswith(response.body[:256]):
            check.explain(
                "serves_outside_webroot",
                f"GET {path} was answered {said} with {len(response.body)} bytes of the "
                "server's own file",
            )
            check.fail(f"your server answered {said} to GET {path}, a path outside webroot/.")
        check.explain(
            "wrong_status",
            f"status line {response.status_line[:60]!r}",
            what=f"GET {path} (outside webroot/)",
            said=said,
            want="403 or 404",
        )
        check.fail(
            f"for GET {path} (outside webroot/) your server answered {said}, not 403 or 404."
        )
