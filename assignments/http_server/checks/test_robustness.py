"""A request that arrives in pieces, and two requests in a row (one per connection)."""

from __future__ import annotations

from wire import answered, ask, expect_body, expect_status, explain_crash, request, settle, webroot

from grader.harness import Check, RunConfig, StudentServer

PIECES = 4


def test_request_in_pieces(
    check: Check, student_server: StudentServer, run_config: RunConfig
) -> None:
    server = student_server
    sent = request("/hello.txt")
    asked = ask(
        check, server, sent, f"GET /hello.txt in {PIECES} pieces", config=run_config, pieces=PIECES
    )
    if not asked.whole_request_sent:
        got, total = asked.traffic.sent_n, len(sent)
        if got <= -(-total // PIECES):
            check.explain(
                "single_recv",
                f"the server answered or closed after {got} of {total} bytes (the first piece)",
                got=got,
                total=total,
            )
        settle(server)
        if not server.proc.alive():
            explain_crash(check, server)
        check.fail(
            f"your server answered after {got} of the request's {total} bytes, before the "
            "empty line that ends its headers had arrived."
        )
    response = answered(check, server, asked)
    expect_status(check, response, 200, what="GET /hello.txt sent in pieces")
    expect_body(
        check, response, (webroot(run_config) / "hello.txt").read_bytes(), name="webroot/hello.txt"
    )


def test_two_requests_in_a_row(
    check: Check, student_server: StudentServer, run_config: RunConfig
) -> None:
    server = student_server
    for i, rel in enumerate(("hello.txt", "images/logo.png"), start=1):
        settle(server)
        if i > 1 and not server.listening():
            if server.proc.alive() or server.proc.returncode == 0:
                check.explain(
                    "server_stops_after_first_request",
                    "after one request was answered the server no longer listened"
                    + (
                        ""
                        if server.proc.alive()
                        else f" (it exited, status {server.proc.returncode})"
                    ),
                )
            else:
                explain_crash(check, server)
            check.fail(f"your server was no longer running when request {i} came.")
        asked = ask(
            check, server, request(f"/{rel}"), f"request {i} of 2: GET /{rel}", config=run_config
        )
        response = answered(check, server, asked)
        expect_status(check, response, 200, what=f"GET /{rel}")
        expect_body(
            check, response, (webroot(run_config) / rel).read_bytes(), name=f"webroot/{rel}"
        )
