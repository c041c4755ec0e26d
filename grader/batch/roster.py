"""Read a class roster CSV into Students: GitHub Classroom's export as is, or any CSV
with an `identifier` column and a `repo` column or a `--repo-template`.

Forgiving about the file (BOM, quotes, CRLF, blank lines), strict about its meaning
(duplicate identifiers, missing columns) and its quoting (a quote never closed), and
every complaint names the line.
"""

from __future__ import annotations

import csv
import io
import string
from pathlib import Path

from grader.errors import UsageError
from grader.model import Student

EXTENSION_COLUMN = "extension_hours"


def read(path: Path, *, repo_template: str | None = None) -> tuple[Student, ...]:
    """Parse the roster; a row whose repository cannot be known yet has repo=None."""
    rows = _rows(path)
    if not rows:
        raise UsageError(f"{path}: the roster is empty; it needs a header line with 'identifier'.")
    (_, header), body = rows[0], rows[1:]
    header = [h.strip() for h in header]
    fields = _check_header(path, header, repo_template)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for line, cells in body:
        values = {k: v.strip() for k, v in zip(header, cells, strict=False)}
        if not any(values.values()):
            continue  # a line of empty cells
        student = _student(values, path=path, line=line, template=repo_template, fields=fields)
        if student.identifier in seen:
            raise UsageError(
                f"{path} line {line}: identifier '{student.identifier}' already appears on "
                f"line {seen[student.identifier]}; each student must appear once."
            )
        seen[student.identifier] = line
        students.append(student)
    if not students:
        raise UsageError(f"{path}: the roster has a header but no students.")
    return tuple(students)


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """The CSV records of the file, each with the line it starts on; blank lines skipped.
    Quoting is read strictly: a quote that is never closed would otherwise swallow every
    later line into one cell."""
    reader = csv.reader(io.StringIO(_text(path), newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise UsageError(_malformed(path, start, exc)) from exc
        if cells:
            rows.append((start, cells))


def _malformed(path: Path, line: int, exc: csv.Error) -> str:
    if "unexpected end of data" in str(exc):
        return (
            f'{path} line {line}: this row opens a quote (") that is never closed; close '
            "it, or remove it."
        )
    return f"{path} line {line}: malformed CSV ({exc}); fix the quoting on this line."


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: no such roster file; check the --roster path.") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text; save the roster as UTF-8 CSV.") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the roster ({exc.strerror}).") from exc


def _check_header(path: Path, header: list[str], repo_template: str | None) -> set[str]:
    """The template's placeholders, once the header is known to hold what is needed."""
    if "identifier" not in header:
        raise UsageError(
            f"{path} line 1: no 'identifier' column (found: {', '.join(header)}); "
            "add it, e.g. export the roster from GitHub Classroom."
        )
    if repo_template is None:
        if "repo" not in header:
            raise UsageError(
                f"{path} line 1: no 'repo' column; add one, or pass --repo-template like "
                "'https://github.com/{github_username}/homework'."
            )
        return set()
    fields = _template_fields(repo_template)
    missing = sorted(fields - set(header))
    if missing:
        raise UsageError(
            f"{path} line 1: --repo-template uses {{{missing[0]}}} but the roster has no "
            f"'{missing[0]}' column; use one of: {', '.join(header)}."
        )
    return fields


def _student(
    values: dict[str, str], *, path: Path, line: int, template: str | None, fields: set[str]
) -> Student:
    ident = values.get("identifier", "")
    if not ident:
        raise UsageError(f"{path} line {line}: the identifier is empty; fill it in.")
    return Student(
        identifier=ident,
        repo=_repo(values, template=template, fields=fields),
        name=values.get("name", ""),
        line=line,
        extension_hours=_extension(values.get(EXTENSION_COLUMN, ""), path=path, line=line),
    )


def _template_fields(template: str) -> set[str]:
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise UsageError(f"--repo-template {template!r} is malformed ({exc}).") from exc
    if not names or "" in names:
        raise UsageError(
            f"--repo-template needs named placeholders like {{github_username}}; got {template!r}."
        )
    return names


def _repo(values: dict[str, str], *, template: str | None, fields: set[str]) -> str | None:
    if template is None:
        return values.get("repo") or None
    if any(not values.get(f) for f in fields):
        return None  # e.g. a student who has not accepted the assignment yet
    return template.format(**{f: values[f] for f in fields})


def _extension(raw: str, *, path: Path, line: int) -> float:
    if not raw:
        return 0.0
    try:
        hours = float(raw)
    except ValueError as exc:
        raise UsageError(
            f"{path} line {line}: {EXTENSION_COLUMN} '{raw}' is not a number of hours."
        ) from exc
    if hours < 0:
        raise UsageError(f"{path} line {line}: {EXTENSION_COLUMN} cannot be negative.")
    return hours
