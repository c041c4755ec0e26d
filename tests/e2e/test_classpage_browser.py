"""The class page of a real batch, served by `grade view`, in Debian's Chromium."""

from __future__ import annotations

from pathlib import Path

from support import ARTIFACTS, EXAMPLES, make_repo, open_page

from grader.cli import main, view
from grader.errors import ExitCode

STUDENTS = {"ada": "passes_all_legacy", "bob": "client_stops_on_short_chunk", "cy": "python2"}


def test_class_page_and_student_page_load_and_sort(browser: object, tmp_path: Path) -> None:
    lines = ["identifier,repo,name"]
    for ident, example in STUDENTS.items():
        lines.append(f"{ident},{make_repo(tmp_path / ident, EXAMPLES / example)},<b>{ident}</b>")
    lines.append("dee,,Not Yet")
    (tmp_path / "roster.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "grades"
    argv = ["--roster", str(tmp_path / "roster.csv"), "--out", str(out), "--no-selfcheck"]
    assert main(argv) == ExitCode.OK

    server, url = view.serve(out)
    try:
        page, errors, requests = open_page(browser, url, 1280)
        try:
            assert all(r.startswith(url) for r in requests), requests  # nothing from outside
            first_column = (
                "[...document.querySelectorAll('#students tbody tr')]"
                ".map(r => r.cells[0].innerText)"
            )
            assert page.evaluate(first_column) == ["ada", "bob", "cy", "dee"]  # type: ignore[attr-defined]
            assert "<b>ada</b>" in page.inner_text("#students")  # type: ignore[attr-defined]
            page.click("#students th button[data-key='2']")  # type: ignore[attr-defined]
            assert page.evaluate(first_column) == ["dee", "cy", "bob", "ada"]  # type: ignore[attr-defined]
            page.click("#students th button[data-key='2']")  # type: ignore[attr-defined]
            assert page.evaluate(first_column)[0] == "ada"  # type: ignore[attr-defined]
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "classpage.png"), full_page=True)  # type: ignore[attr-defined]
            page.click("text=bob")  # type: ignore[attr-defined]
            page.wait_for_load_state("load")  # type: ignore[attr-defined]
            assert page.url.endswith("bob/report.html")  # type: ignore[attr-defined]
            assert "client_stops_on_short_chunk" in page.content() or "16 bytes" in page.content()  # type: ignore[attr-defined]
            assert errors == []
        finally:
            page.close()  # type: ignore[attr-defined]
        phone, errors, _ = open_page(browser, url, 375)
        try:
            overflow = phone.evaluate(  # type: ignore[attr-defined]
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{overflow} px of horizontal scroll on a phone"
            assert errors == []
            phone.screenshot(path=str(ARTIFACTS / "classpage-phone.png"), full_page=True)  # type: ignore[attr-defined]
        finally:
            phone.close()  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
