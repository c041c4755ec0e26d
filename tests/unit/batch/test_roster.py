"""batch/roster.py: forgiving about the file, strict about its meaning and its quoting;
every refusal is one sentence that names the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.batch import roster
from grader.errors import UsageError
from grader.model import Student

TEMPLATE = "https://github.com/{github_username}/echo_sockets"


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    return path


def refusal(path: Path, *, template: str | None = None) -> str:
    with pytest.raises(UsageError) as refused:
        roster.read(path, repo_template=template)
    said = str(refused.value)
    assert "\n" not in said and said.startswith(str(path)), said
    return said.removeprefix(str(path))


def test_a_github_classroom_export_reads_as_is(tmp_path: Path) -> None:
    """BOM, CRLF, quoted cells with commas, a blank line, a student not yet accepted."""
    lines = [
        "identifier,github_username,github_id,name",
        'ada,ada-l,1,"Lovelace, Ada"',
        "",
        'bob,,,"Not, Accepted"',
        'cy,"cy-h",3,Cy',
    ]
    path = write(tmp_path, "\ufeff" + "\r\n".join(lines) + "\r\n")
    assert roster.read(path, repo_template=TEMPLATE) == (
        Student("ada", "https://github.com/ada-l/echo_sockets", "Lovelace, Ada", 2),
        Student("bob", None, "Not, Accepted", 4),
        Student("cy", "https://github.com/cy-h/echo_sockets", "Cy", 5),
    )


def test_a_repo_column_and_extensions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        " identifier , repo ,extension_hours\nada, /r/ada ,24\nbob,,\n,,\n",
    )
    assert roster.read(path) == (
        Student("ada", "/r/ada", line=2, extension_hours=24.0),
        Student("bob", None, line=3),
    )


def test_a_quoted_cell_may_span_lines_and_the_row_keeps_its_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'identifier,repo,name\nada,/r,"Ada\nLovelace"\nbob,/s,Bob\n')
    assert [(s.identifier, s.name, s.line) for s in roster.read(path)] == [
        ("ada", "Ada\nLovelace", 2),
        ("bob", "Bob", 4),
    ]


def test_short_rows_and_extra_cells_are_tolerated(tmp_path: Path) -> None:
    path = write(tmp_path, "identifier,repo,name\nada\nbob,/r,Bob,surplus,more\n")
    assert roster.read(path) == (Student("ada", None, line=2), Student("bob", "/r", "Bob", 3))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('identifier,repo\nada,"/r/ada\nbob,/r/bob\ncy,/r/cy\n', 2),
        ('identifier,repo,name\nada,/r,"multi\nline"\n\n\nbob,/r/bob,"Bob\n', 6),
        ('identifier,repo\nada,/r/ada\nbob,/r/bob,"never closed', 3),
        ('identifier,"repo\nada,/r/ada\n', 1),
    ],
)
def test_an_unterminated_quote_is_refused_with_its_line(
    tmp_path: Path, text: str, line: int
) -> None:
    said = refusal(write(tmp_path, text))
    assert said == (
        f' line {line}: this row opens a quote (") that is never closed; close it, or remove it.'
    )


def test_a_quote_in_the_middle_of_a_quoted_cell_is_refused_with_its_line(tmp_path: Path) -> None:
    said = refusal(write(tmp_path, 'identifier,repo\nada,/r\nbob,"/r/b"ob\n'))
    assert said.startswith(" line 3: malformed CSV (") and said.endswith(
        "fix the quoting on this line."
    )


def test_a_quote_inside_an_unquoted_cell_is_just_a_character(tmp_path: Path) -> None:
    path = write(tmp_path, 'identifier,repo,name\nada,/r,Ada "the" Countess\n')
    assert roster.read(path)[0].name == 'Ada "the" Countess'


@pytest.mark.parametrize(
    ("text", "template", "says"),
    [
        ("", None, ": the roster is empty; it needs a header line with 'identifier'."),
        ("\n\n", None, ": the roster is empty; it needs a header line with 'identifier'."),
        ("identifier,repo\n", None, ": the roster has a header but no students."),
        ("identifier,repo\n,,\n", None, ": the roster has a header but no students."),
        ("\ufeffname,repo\nAda,x\n", None, " line 1: no 'identifier' column (found: name, repo)"),
        ("identifier,github_username\nada,a\n", None, " line 1: no 'repo' column; add one"),
        (
            "identifier,repo\nada,x\n\nada,y\n",
            None,
            " line 4: identifier 'ada' already appears on line 2; each student must appear once.",
        ),
        ("identifier,repo\nada,x\n,y\n", None, " line 3: the identifier is empty; fill it in."),
        ("identifier,repo,extension_hours\nada,x,soon\n", None, " line 2: extension_hours 'soon'"),
        (
            "identifier,repo,extension_hours\nada,x,1\nbob,y,-2\n",
            None,
            " line 3: extension_hours cannot be negative.",
        ),
        (
            "identifier,github_username\nada,a\n",
            "https://x/{login}/r",
            " line 1: --repo-template uses {login} but the roster has no 'login' column",
        ),
    ],
)
def test_each_rule_is_refused_in_one_sentence(
    tmp_path: Path, text: str, template: str | None, says: str
) -> None:
    assert refusal(write(tmp_path, text), template=template).startswith(says)


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("https://x/{login/r", "is malformed"),
        ("https://x/{}/r", "needs named placeholders"),
        ("https://x/r", "needs named placeholders"),
    ],
)
def test_a_malformed_template_is_refused(tmp_path: Path, template: str, says: str) -> None:
    path = write(tmp_path, "identifier,login\nada,a\n")
    with pytest.raises(UsageError, match=says):
        roster.read(path, repo_template=template)


def test_what_is_not_a_readable_utf8_file_is_refused(tmp_path: Path) -> None:
    assert refusal(write(tmp_path, "identifier,repo\nçé,x\n", encoding="latin-1")) == (
        ": not UTF-8 text; save the roster as UTF-8 CSV."
    )
    assert refusal(tmp_path / "missing.csv").endswith(
        "no such roster file; check the --roster path."
    )
    assert refusal(tmp_path).startswith(": cannot read the roster (")
