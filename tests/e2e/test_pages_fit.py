"""The pages of a real batch at a laptop's and a phone's width, in Debian's Chromium:
nothing runs out of its box or off the screen (long lines wrap, or scroll inside a box
made to scroll), the students' table comes first, and a late commit is said. Screenshots
are left in tests/artifacts/ for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git
import pytest
from support import ARTIFACTS, AUTHOR, CHROMIUM, EXAMPLES, ROOT, make_repo, open_page

from grader.cli import main
from grader.errors import ExitCode

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")

LAPTOP = (1366, 768)
PHONE = (390, 844)
WIDTHS = {"laptop": LAPTOP, "phone": PHONE}
# A line no page can show whole at a phone's width, in two near-copies of the reference.
LONG_LINE = "BANNER = '" + "an echo server that logs every chunk it receives " * 4 + "'\n"

# Every element that is laid out must end inside the page, unless it sits in a box made
# to scroll sideways (which must itself fit); and no box may let its content run out of
# it without scrolling (text spilling over its border, or cut at its edge).
OVERFLOWS = """
() => {
  const page = document.documentElement.clientWidth;
  const scrolls = s => s.overflowX === "auto" || s.overflowX === "scroll";
  const inScrollBox = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (scrolls(getComputedStyle(p))) return true;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "")
    + " '" + (el.textContent || "").trim().slice(0, 40) + "'";
  const found = [];
  if (document.documentElement.scrollWidth > page) found.push("the page scrolls sideways");
  for (const el of document.body.querySelectorAll("*")) {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (s.display === "none" || s.visibility === "hidden" || r.width === 0) continue;
    if (s.position === "absolute" && r.right <= 0) continue;  // the skip link, off screen
    if (r.right > page + 0.5 && !inScrollBox(el)) found.push("off the page: " + name(el));
    const inline = s.display === "inline" || el.clientWidth === 0;
    const clips = s.overflowX === "hidden" || s.overflowX === "clip";
    if (!inline && !scrolls(s) && !(clips && r.width <= 1)
        && el.scrollWidth > el.clientWidth + 1) {
      found.push("runs out of its box: " + name(el));
    }
  }
  return found;
}
"""


def _commit(repo: git.Repo, message: str, when: datetime) -> None:
    stamp = when.isoformat()
    who = {
        "GIT_AUTHOR_NAME": AUTHOR.name,
        "GIT_AUTHOR_EMAIL": AUTHOR.email,
        "GIT_COMMITTER_NAME": AUTHOR.name,
        "GIT_COMMITTER_EMAIL": AUTHOR.email,
    }
    with repo.git.custom_environment(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp, **who):
        repo.git.add(A=True)
        repo.git.commit("-q", "-m", message)


def _late_repo(path: Path, deadline: datetime) -> Path:
    """The short-chunk bug on time, its fix two days after the deadline."""
    repo = git.Repo.init(path, initial_branch="main")
    for name in ("echo_server.py", "echo_client.py"):
        (path / name).write_text((EXAMPLES / "client_stops_on_short_chunk" / name).read_text())
    _commit(repo, "homework", deadline - timedelta(days=1))
    (path / "echo_client.py").write_text((ROOT / "reference" / "echo_client.py").read_text())
    _commit(repo, "fix the 16-byte hang", deadline + timedelta(days=2))
    return path


def _long_lines(path: Path) -> Path:
    files = {
        name: (ROOT / "reference" / name).read_text() + LONG_LINE
        for name in ("echo_server.py", "echo_client.py")
    }
    return make_repo(path, files)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A graded class: a pass, a client that hangs, a late fix, two near-copies with a
    long line each (a similar pair), one not submitted."""
    tmp = tmp_path_factory.mktemp("class")
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    repos = {
        "ada": make_repo(tmp / "ada", EXAMPLES / "passes_all_legacy"),
        "bob": make_repo(tmp / "bob", EXAMPLES / "client_stops_on_short_chunk"),
        "cy": _late_repo(tmp / "cy", deadline),
        "dee": _long_lines(tmp / "dee"),
        "eve": _long_lines(tmp / "eve"),
    }
    lines = ["identifier,repo,name", *(f"{i},{r},Student {i}" for i, r in repos.items())]
    (tmp / "roster.csv").write_text("\n".join([*lines, "fay,,Not Yet"]) + "\n")
    out = tmp / "grades"
    argv = ["--roster", str(tmp / "roster.csv"), "--out", str(out), "--no-selfcheck"]
    assert main([*argv, "--deadline", deadline.isoformat()]) == ExitCode.OK
    return out


@pytest.fixture
def at(browser: object) -> Iterator[object]:
    """Open a page at a width (and height); close every page opened afterwards."""
    opened: list[object] = []

    def open_at(path: Path, size: tuple[int, int]) -> object:
        page, errors, _ = open_page(browser, path, size[0])
        page.set_viewport_size({"width": size[0], "height": size[1]})  # type: ignore[attr-defined]
        opened.append(page)
        assert errors == []
        return page

    yield open_at
    for page in opened:
        page.close()  # type: ignore[attr-defined]


def _fits(page: object, shot: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)  # type: ignore[attr-defined]
    assert page.evaluate(OVERFLOWS) == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", WIDTHS)
def test_class_page_fits_and_puts_the_students_first(batch: Path, at: object, width: str) -> None:
    page = at(batch / "index.html", WIDTHS[width])  # type: ignore[operator]
    _fits(page, f"pages-classpage-{width}")
    order = page.evaluate(  # type: ignore[attr-defined]
        "[...document.querySelectorAll('main h2')].map(h => h.textContent)"
    )
    assert order.index("Students") < order.index("Common mistakes"), order
    assert order.index("Students") < order.index("Checks: how much of the class passed each")


def test_scores_stay_on_one_line(batch: Path, at: object) -> None:
    for size in WIDTHS.values():
        page = at(batch / "index.html", size)  # type: ignore[operator]
        lines = page.evaluate(  # type: ignore[attr-defined]
            "[...document.querySelectorAll('#students td.num')].map(td => {"
            " const range = document.createRange(); range.selectNodeContents(td);"
            " let lines = 0, bottom = -1e9;"
            " for (const r of [...range.getClientRects()].sort((a, b) => a.top - b.top)) {"
            "   if (r.top >= bottom - 1) lines += 1; bottom = Math.max(bottom, r.bottom); }"
            " return [td.innerText, lines]; })"
        )
        assert [n for _, n in lines if n] and all(n == 1 for _, n in lines), (size, lines)


def test_a_late_commit_is_noted_on_the_class_page(batch: Path, at: object) -> None:
    page = at(batch / "index.html", LAPTOP)  # type: ignore[operator]
    notes = page.evaluate(  # type: ignore[attr-defined]
        "Object.fromEntries([...document.querySelectorAll('#students tbody tr')]"
        ".map(r => [r.cells[0].innerText.trim(), r.cells[4].innerText]))"
    )
    assert "1 commit after the deadline" in notes["cy"], notes
    assert "after the deadline" not in notes["bob"] + notes["ada"]


# Each reproduce command: (its text, the left edge of each line it takes, its right edge,
# the right edge of the box it is in).
COMMANDS = """
[...document.querySelectorAll("pre.commands .cmd")].map(cmd => {
  const range = document.createRange();
  range.selectNodeContents(cmd);
  const lines = [...range.getClientRects()].map(r => Math.round(r.left));
  return [cmd.textContent, [...new Set(lines)], cmd.getBoundingClientRect().right,
          cmd.closest("pre").getBoundingClientRect().right];
})
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_failing_report_fits_with_every_check_open(batch: Path, at: object, width: str) -> None:
    page = at(batch / "bob" / "report.html", WIDTHS[width])  # type: ignore[operator]
    for summary in page.query_selector_all("details > summary"):  # type: ignore[attr-defined]
        summary.click()  # everything open: the widest the page gets
    _fits(page, f"pages-report-{width}")
    todo = page.evaluate("[...document.querySelectorAll('.todo li')].map(li => li.innerText)")  # type: ignore[attr-defined]
    assert any("did not finish" in t for t in todo), todo
    assert not [t for t in todo if "))" in t], todo  # not "(did not finish (hung))"


@pytest.mark.parametrize("width", WIDTHS)
def test_reproduce_commands_stay_in_their_box_one_a_line(
    batch: Path, at: object, width: str
) -> None:
    page = at(batch / "bob" / "report.html", WIDTHS[width])  # type: ignore[operator]
    for summary in page.query_selector_all("details > summary"):  # type: ignore[attr-defined]
        summary.click()
    commands = page.evaluate(COMMANDS)  # type: ignore[attr-defined]
    assert any("python -c" in text for text, *_ in commands), commands
    wrapped = 0
    for text, lefts, right, box in commands:
        assert right <= box + 0.5, f"{text!r} runs out of its box"
        if len(lefts) > 1:  # a wrapped command: its continuation is indented
            wrapped += 1
            assert lefts[0] < min(lefts[1:]), text
    if width == "phone":
        assert wrapped, "no command long enough to wrap at a phone's width"


@pytest.mark.parametrize("width", WIDTHS)
def test_similarity_page_shows_long_lines(batch: Path, at: object, width: str) -> None:
    (pair,) = [p for p in (batch / "similar").glob("pair-*.html") if "dee and eve" in p.read_text()]
    page = at(pair, WIDTHS[width])  # type: ignore[operator]
    _fits(page, f"pages-similar-{width}")
    # every line can be read to its end: it wraps, or its box scrolls to it
    cut = page.evaluate(  # type: ignore[attr-defined]
        "[...document.querySelectorAll('pre span')].filter(s => {"
        " const box = s.closest('pre'), b = box.getBoundingClientRect();"
        " const r = s.getBoundingClientRect(), end = r.left + s.scrollWidth;"
        " return end > b.right + 1 && box.scrollWidth <= box.clientWidth; }).length"
    )
    assert cut == 0
    assert "an echo server that logs every chunk" in page.inner_text("main")  # type: ignore[attr-defined]
