"""Common mistakes: each diagnosis of a batch, how many students it hit, which checks it
cost, who; on the class page (in Debian's Chromium), in mistakes.csv and the gradebook."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from support import ARTIFACTS, EXAMPLES, make_repo, open_page

from grader import assignment as assignment_mod
from grader.cli import main, view
from grader.errors import ExitCode
from grader.model import CheckResult, Diagnosis, GradeResult, Isolation, Outcome, RunResult, Status
from grader.report.mistakes import mistakes, mistakes_csv
from grader.score import score

SPEC = assignment_mod.load("echo_sockets")
SHORT = Diagnosis("client_stops_on_short_chunk", "your client stops on a short chunk.")
DROPS = Diagnosis("server_drops_last_chunk", "your server dropped the last 4 bytes.")


def result(student: str, failing: dict[str, Diagnosis]) -> GradeResult:
    checks = tuple(
        CheckResult(
            c.id,
            Outcome.FAILED if c.id in failing else Outcome.PASSED,
            diagnoses=(failing[c.id],) if c.id in failing else (),
        )
        for c in SPEC.checks
    )
    run = RunResult(checks, 1.0, Isolation.BWRAP)
    return GradeResult(
        student,
        Status.GRADED,
        SPEC.name,
        SPEC.digest,
        "t",
        run=run,
        score=score(run, assignment=SPEC, reveal=True),
    )


def test_mistakes_are_counted_per_student_sorted_and_cut_to_what_the_reader_sees() -> None:
    results = [
        result("ada", {}),
        result("bob", {"client_exactly_16_bytes": SHORT, "client_exactly_32_bytes": SHORT}),
        result("cy", {"client_exactly_16_bytes": SHORT, "server_short_message": DROPS}),
        result("dee", {"server_short_message": DROPS, "server_long_message": DROPS}),
        result("eve", {"client_empty_message": SHORT}),  # a hidden check only
    ]
    found = mistakes(results, assignment=SPEC, reveal=True)
    assert [(m.code, m.students) for m in found] == [
        ("client_stops_on_short_chunk", ("bob", "cy", "eve")),
        ("server_drops_last_chunk", ("cy", "dee")),
    ]
    short = found[0]
    assert short.name == "client stops on short chunk"
    assert short.checks[0] == ("Client returns a reply of exactly 16 bytes", 2)
    assert short.points_lost == 6 + 5 + 6 + 3
    assert short.links()[0] == ("bob", "bob/report.html")
    rows = list(csv.reader(io.StringIO(mistakes_csv(found))))
    assert rows[0][:3] == ["mistake", "code", "students"]
    assert rows[1][:3] == ["client stops on short chunk", "client_stops_on_short_chunk", "3"]
    assert rows[1][5] == "bob cy eve"
    # students (no reveal, before the deadline) see no hidden check: eve's is left out
    results[-1] = result("eve", {"client_empty_message": SHORT})
    hidden_scored = [
        r
        if r.run is None
        else GradeResult(
            r.student,
            r.status,
            r.assignment,
            r.assignment_digest,
            "t",
            run=r.run,
            score=score(r.run, assignment=SPEC, reveal=False),
        )
        for r in results
    ]
    seen = {m.code: m for m in mistakes(hidden_scored, assignment=SPEC, reveal=False)}
    assert seen["client_stops_on_short_chunk"].students == ("bob", "cy")
    assert seen["client_stops_on_short_chunk"].points_lost == 6 + 6


STUDENTS = {
    "ada": "passes_all_legacy",
    "bob": "client_stops_on_short_chunk",
    "cy": "client_stops_on_short_chunk",
    "dee": "server_drops_last_partial_chunk",
}


def test_the_class_page_lists_common_mistakes_with_links(browser: object, tmp_path: Path) -> None:
    lines = ["identifier,repo"]
    for ident, example in STUDENTS.items():
        lines.append(f"{ident},{make_repo(tmp_path / ident, EXAMPLES / example)}")
    (tmp_path / "roster.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "grades"
    argv = ["--roster", str(tmp_path / "roster.csv"), "--out", str(out), "--no-selfcheck"]
    assert main(argv) == ExitCode.OK

    table = list(csv.DictReader((out / "mistakes.csv").open()))
    assert table[0]["code"] == "client_stops_on_short_chunk" and table[0]["students"] == "2"
    assert table[0]["identifiers"] == "bob cy"
    assert any(r["code"] == "server_drops_last_chunk" and r["identifiers"] == "dee" for r in table)
    with closing(sqlite3.connect(out / "gradebook.sqlite")) as db:
        stored = {
            code: (n, json.loads(who))
            for code, n, who in db.execute("SELECT code, students, identifiers FROM mistakes")
        }
    assert stored["client_stops_on_short_chunk"] == (2, ["bob", "cy"])
    assert len(stored) == len(table)

    server, url = view.serve(out)
    try:
        page, errors, requests = open_page(browser, url, 1280)
        try:
            assert all(r.startswith(url) for r in requests), requests
            first = page.inner_text("#mistakes-table tbody tr:first-child")  # type: ignore[attr-defined]
            assert "client stops on short chunk" in first and "bob" in first and "cy" in first
            assert "Client returns a reply of exactly 16 bytes (2)" in first
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "classpage-mistakes.png"), full_page=True)  # type: ignore[attr-defined]
            page.click("#mistakes-table tbody tr:first-child a:text('cy')")  # type: ignore[attr-defined]
            page.wait_for_load_state("load")  # type: ignore[attr-defined]
            assert page.url.endswith("cy/report.html")  # type: ignore[attr-defined]
            assert errors == []
        finally:
            page.close()  # type: ignore[attr-defined]
        phone, errors, _ = open_page(browser, url, 375)
        try:
            overflow = phone.evaluate(  # type: ignore[attr-defined]
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{overflow} px of horizontal scroll on a phone"
        finally:
            phone.close()  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
