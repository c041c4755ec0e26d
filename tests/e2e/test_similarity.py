"""Similarity across a class: each submission's own code (the template's left out),
compared by winnowed fingerprints of normalized tokens, listed on the class page."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest
from support import EXAMPLES, ROOT, make_repo

from grader.cli import main
from grader.errors import ExitCode
from grader.model import GradeResult, SourceFile, Status
from grader.report import similarity

# A near-copy of the reference: its variables renamed, comments and docstrings gone
# (client()'s parameters and the logged words stay: the checks call and read them).
RENAMES = {
    "sock": "s",
    "conn": "connection",
    "data": "payload",
    "address": "where",
    "addr": "peer",
    "chunks": "pieces",
    "chunk": "piece",
    "server_address": "target",
    "chosen_port": "number",
    "as_text": "printable",
}


def renamed(text: str) -> str:
    text = re.sub(r'"""(.|\n)*?"""', '""', text)
    text = re.sub(r"#[^\n]*", "", text)
    for old, new in RENAMES.items():
        text = re.sub(rf"\b{old}\b", new, text)
    return text


def sources(folder: Path, transform: object = None) -> tuple[SourceFile, ...]:
    out = []
    for role, name in (("server", "echo_server.py"), ("client", "echo_client.py")):
        if (folder / name).is_file():
            text = (folder / name).read_text()
            out.append(SourceFile(role, PurePosixPath(name), renamed(text) if transform else text))
    return tuple(out)


def result(student: str, files: tuple[SourceFile, ...]) -> GradeResult:
    return GradeResult(student, Status.GRADED, "echo_sockets", "d", "v", sources=files)


def roster() -> list[GradeResult]:
    return [
        result("ref", sources(ROOT / "reference")),
        result("ref_renamed", sources(ROOT / "reference", transform=True)),
        result("legacy", sources(EXAMPLES / "passes_all_legacy")),
        result("port_arg", sources(EXAMPLES / "passes_all_port_arg")),
        result("crashes", sources(EXAMPLES / "client_crashes")),
        result("template_1", sources(ROOT / "student_template")),
        result("template_2", sources(ROOT / "student_template")),
    ]


def test_renamed_near_copies_rank_first_and_the_template_never_counts() -> None:
    template = similarity.template_hashes(ROOT / "student_template")
    pairs = similarity.compare(roster(), template=template)
    top = pairs[0]
    assert (top.a, top.b) == ("ref", "ref_renamed")
    assert top.similarity >= 0.9 and top.similarity >= similarity.THRESHOLD
    assert top.similarity > pairs[1].similarity + 0.2
    # two untouched templates are identical, yet have no code of their own to compare
    assert not [p for p in pairs if "template_1" in (p.a, p.b) or "template_2" in (p.a, p.b)]


def test_without_the_template_excluded_untouched_templates_would_look_identical() -> None:
    pairs = similarity.compare(roster(), template=set())
    both = next(p for p in pairs if (p.a, p.b) == ("template_1", "template_2"))
    assert both.similarity == 1.0


def test_names_strings_and_layout_do_not_matter() -> None:
    a = "def f(x):\n    return x + 1  # one\n\n\n"
    b = "def g(value):\n    # add\n    return value+1\n"
    assert [t.text for t in similarity.tokens(a)] == [t.text for t in similarity.tokens(b)]
    assert [t.text for t in similarity.tokens("sock.recv(16)")] == [
        "V",
        ".",
        "recv",
        "(",
        "N",
        ")",
        ";",
    ]
    # Python 2 (or broken) code still compares, by a simpler split
    assert similarity.tokens("print >>log, 'x'\n  bad indent(")


def test_shared_lines_are_marked_on_both_sides() -> None:
    template = similarity.template_hashes(ROOT / "student_template")
    top = similarity.compare(roster(), template=template)[0]
    ref_server = (ROOT / "reference" / "echo_server.py").read_text().splitlines()
    marked = [ref_server[n - 1] for n in top.a_lines[0]]
    assert any("sendall" in line for line in marked)
    assert top.b_lines[0] and top.b_lines[1]


# ---------------------------------------------------------------- a class, end to end


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small class graded for real: two renamed near-copies of the reference, two
    untouched templates, a hostile repository that ships hijack files, and a student
    with the optional select server."""
    root = tmp_path_factory.mktemp("class")
    repos = root / "repos"
    reference = {p.name: p.read_text() for p in (ROOT / "reference").glob("*.py")}
    make_repo(repos / "ana", reference)
    make_repo(repos / "ben", {name: renamed(text) for name, text in reference.items()})
    make_repo(repos / "cal", ROOT / "student_template")
    make_repo(repos / "dot", ROOT / "student_template")
    make_repo(repos / "eli", EXAMPLES / "hostile_hijack")
    make_repo(repos / "fay", EXAMPLES / "extra_select_server")
    lines = ["identifier,repo"] + [
        f"{n},{repos / n}" for n in ("ana", "ben", "cal", "dot", "eli", "fay")
    ]
    (root / "roster.csv").write_text("\n".join(lines) + "\n")
    out = root / "grades"
    argv = ["--roster", str(root / "roster.csv"), "--out", str(out), "--no-selfcheck"]
    assert main(argv) == ExitCode.OK
    return out


def test_the_class_page_lists_the_near_copies_as_similar(batch: Path) -> None:
    page = (batch / "index.html").read_text()
    section = page[page.index('id="similar"') :]
    rows = re.findall(r"<tr><td>(\w+) and (\w+)</td>", section)
    assert rows[0] == ("ana", "ben")
    assert not [r for r in rows if {"cal", "dot"} & set(r)]
    pair_page = (batch / "similar" / "pair-001.html").read_text()
    assert 'class="shared"' in pair_page and "sendall" in pair_page
    for word in ("plagiar", "cheat", "copied", "suspicious"):
        assert word not in page.lower() and word not in pair_page.lower()


def test_the_class_page_shows_flags_and_extra_credit(batch: Path) -> None:
    page = (batch / "index.html").read_text()
    flags = page[page.index('id="flags"') :]
    assert ">eli</a>" in flags and "conftest.py" in flags and "results.json" in flags
    assert "+5 extra" in page  # fay's select server
    # three of the six wrote a select server (ana and ben have the reference's): the rate
    # counts those three, not the students who did not attempt it
    assert "Optional: it does so with select, without threads</td><td>3 / 3<" in page
    grades = (batch / "grades.csv").read_text().splitlines()
    assert grades[0].split(",")[5] == "extra_score"
    assert next(g for g in grades if g.startswith("fay,")).split(",")[5] == "5"
    report = (batch / "eli" / "report.html").read_text()  # the batch is the instructor view
    assert "Integrity flags" in report and "sitecustomize.py" in report
