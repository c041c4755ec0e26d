"""Read a class roster CSV into Students: GitHub Classroom's export as is, or any CSV
with an `identifier` column and a `repo` column or a `--repo-template`.

Forgiving about the file (BOM, quotes, CRLF, blank lines), strict about its meaning
(duplicate identifiers, missing columns), and every complaint names the line.
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
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: no such roster file; check the --roster path.") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text; save the roster as UTF-8 CSV.") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the roster ({exc.strerror}).") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise UsageError(f"{path}: the roster is empty; it needs a header line with 'identifier'.")
    reader.fieldnames = header
    if "identifier" not in header:
        raise UsageError(
            f"{path} line 1: no 'identifier' column (found: {', '.join(header)}); "
            "add it, e.g. export the roster from GitHub Classroom."
        )
    fields = _template_fields(repo_template) if repo_template else set()
    if repo_template is None and "repo" not in header:
        raise UsageError(
            f"{path} line 1: no 'repo' column; add one, or pass --repo-template like "
            "'https://github.com/{github_username}/echo_sockets'."
        )
    missing = sorted(fields - set(header))
    if missing:
        raise UsageError(
            f"{path} line 1: --repo-template uses {{{missing[0]}}} but the roster has no "
            f"'{missing[0]}' column; use one of: {', '.join(header)}."
        )
    students: list[Student] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(values.values()):
            continue  # a blank line
        ident = values.get("identifier", "")
        if not ident:
            raise UsageError(f"{path} line {line}: the identifier is empty; fill it in.")
        if ident in seen:
            raise UsageError(
                f"{path} line {line}: identifier '{ident}' already appears on line "
                f"{seen[ident]}; each student must appear once."
            )
        seen[ident] = line
        students.append(
            Student(
                identifier=ident,
                repo=_repo(values, repo_template, fields),
                name=values.get("name", ""),
                line=line,
                extension_hours=_extension(values.get(EXTENSION_COLUMN, ""), path, line),
            )
        )
    if not students:
        raise UsageError(f"{path}: the roster has a header but no students.")
    return tuple(students)


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


def _repo(values: dict[str, str], template: str | None, fields: set[str]) -> str | None:
    if template is None:
        return values.get("repo") or None
    if any(not values.get(f) for f in fields):
        return None  # e.g. a student who has not accepted the assignment yet
    return template.format(**{f: values[f] for f in fields})


def _extension(raw: str, path: Path, line: int) -> float:
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
