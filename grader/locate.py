"""Stage 2 of 7, Snapshot -> Located: find the files to grade, and say which and why.

Real repositories put the files at the root, in a subfolder (`session04/`), under a
changed name (`sm_server.py` for `server.py`), or keep stale copies; a teacher would grade the
canonical name nearest the root, and otherwise the most likely look-alike. Only Python
files the snapshot read are candidates; a file of a wanted name that is a link, a pipe or
too big is said so (`unread_problems`), never "not found".
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import PurePosixPath

from grader.model import Assignment, FileProblem, FileSpec, Located, LocatedFile
from grader.snapshot import Snapshot

OPTIONAL_HINTS = ("select", "multi", "parallel", "thread", "async", "service", "port")
MAX_FILES = 5000
MAX_CANDIDATES = 3
MAX_READ_BYTES = 256 * 1024  # of each file, when looking for candidates
MULTI_HINTS = ("select", "multi", "parallel", "thread", "async", "concurren")
_SERVES_MANY = re.compile(r"\b(select|selectors|threading|_thread|socketserver|asyncio)\b")


def python_files(snapshot: Snapshot) -> list[PurePosixPath]:
    """The Python files a student wrote: none in hidden folders, nearest the root first."""
    found = [p for p in snapshot.python() if not any(part.startswith(".") for part in p.parts[:-1])]
    return found[:MAX_FILES]


def locate(snapshot: Snapshot, *, assignment: Assignment) -> Located:
    """Pick one file per role: canonical name nearest the root, else the best look-alike."""
    files = python_files(snapshot)
    chosen: list[LocatedFile] = []
    notes: list[str] = [*snapshot.cut, *_unread_note(snapshot)]
    for spec in assignment.files:
        pick = _canonical(spec, files) or _lookalike(spec, files, snapshot, assignment)
        if pick is None:
            continue
        path, reason = pick
        chosen.append(LocatedFile(spec.role, path, reason))
        others = [f for f in files if f.name == spec.name and f != path]
        if others:
            listed = ", ".join(str(o) for o in others[:3])
            notes.append(f"also found {listed}; graded {path} ({reason}).")
    chosen = _prefer_same_folder(chosen, files, assignment)
    missing = tuple(s.role for s in assignment.files if not any(c.role == s.role for c in chosen))
    candidates = (
        multi_server_candidates(snapshot, files=files, taken={c.path for c in chosen})
        if "multi_server" in assignment.optional
        else ()
    )
    return Located(tuple(chosen), missing, tuple(notes), candidates)


def unread_problems(
    snapshot: Snapshot, *, located: Located, assignment: Assignment
) -> tuple[FileProblem, ...]:
    """For each missing role, the file of its name (nearest the root) that the grader did
    not read, and why: "server.py is a link, not graded", never "not found"."""
    problems: list[FileProblem] = []
    for role in located.missing:
        name = assignment.file(role).name
        unread = sorted(
            (u for u in snapshot.unread if u.path.name == name),
            key=lambda u: (len(u.path.parts), str(u.path)),
        )
        if unread:
            path, why = unread[0].path, unread[0].why
            problems.append(
                FileProblem(
                    role,
                    path,
                    None,
                    f"{path} is {why}, not graded: the grader reads only regular files of "
                    "at most 1 MiB, never through a link; commit the file itself.",
                )
            )
    return tuple(problems)


def multi_server_candidates(
    snapshot: Snapshot, *, files: list[PurePosixPath], taken: set[PurePosixPath]
) -> tuple[LocatedFile, ...]:
    """Servers beyond the graded one that may be the optional multi-client server.

    A candidate binds and listens, and either mentions select (or threads, asyncio,
    socketserver) or is named like one (`server_select.py`, `parallel_server.py`):
    students name it freely, and the report says what it really does.
    """
    found: list[tuple[tuple[int, int, str], LocatedFile]] = []
    for path in files:
        lower = path.name.lower()
        if path in taken or lower.startswith("test") or lower == "conftest.py":
            continue
        text = snapshot.text(path, limit=MAX_READ_BYTES)
        if not ("bind" in text and "listen" in text):
            continue
        named = [h for h in MULTI_HINTS if h in lower]
        mentions = sorted(set(_SERVES_MANY.findall(text)))
        if not named and not mentions:
            continue
        said = ([f"is named like a {named[0]} server"] if named else []) + (
            [f"mentions {', '.join(mentions)}"] if mentions else []
        )
        why = "binds and listens, and " + " and ".join(said)
        rank = (0 if "select" in mentions or "selectors" in mentions else 1, len(path.parts))
        found.append(((*rank, str(path)), LocatedFile("multi_server", path, why)))
    return tuple(f for _, f in sorted(found)[:MAX_CANDIDATES])


def _unread_note(snapshot: Snapshot) -> list[str]:
    """One note naming the Python files that were not read, and why."""
    unread = [u for u in snapshot.unread if u.path.name.endswith(".py")]
    if not unread:
        return []
    named = ", ".join(f"{u.path} ({u.why})" for u in unread[:5])
    more = f" and {len(unread) - 5} more" if len(unread) > 5 else ""
    return [f"not graded: {named}{more}; the grader reads only regular files of at most 1 MiB."]


def _canonical(spec: FileSpec, files: list[PurePosixPath]) -> tuple[PurePosixPath, str] | None:
    exact = sorted((f for f in files if f.name == spec.name), key=lambda f: (len(f.parts), str(f)))
    if not exact:
        return None
    path = exact[0]
    where = "at the root of the repository" if len(path.parts) == 1 else f"in {path.parent}/"
    return path, f"{spec.name} {where}"


def _lookalike(
    spec: FileSpec, files: list[PurePosixPath], snapshot: Snapshot, assignment: Assignment
) -> tuple[PurePosixPath, str] | None:
    taken = {f.name for f in assignment.files}
    candidates: list[tuple[tuple[int, int, int, str], PurePosixPath]] = []
    for path in files:
        lower = path.name.lower()
        if lower in taken or lower.startswith("test") or lower == "conftest.py":
            continue
        if not any(fnmatch.fnmatch(lower, pat) for pat in spec.patterns):
            continue
        # A look-alike must look like one (a server binds and listens, say).
        text = snapshot.text(path)
        if not all(h in text for h in spec.hints):
            continue
        optional = any(h in lower for h in OPTIONAL_HINTS)
        rank = next(i for i, pat in enumerate(spec.patterns) if fnmatch.fnmatch(lower, pat))
        candidates.append(((int(optional), rank, len(path.parts), str(path)), path))
    if not candidates:
        return None
    path = min(candidates)[1]
    return path, f"no {spec.name} anywhere; {path} looks like it"


def _prefer_same_folder(
    chosen: list[LocatedFile], files: list[PurePosixPath], assignment: Assignment
) -> list[LocatedFile]:
    """If the roles landed in different folders, prefer a folder that holds all of them."""
    folders = {c.path.parent for c in chosen}
    if len(folders) <= 1:
        return chosen
    names = {s.role: s.name for s in assignment.files}
    for folder in sorted({f.parent for f in files}, key=lambda p: (len(p.parts), str(p))):
        if all(folder / names[c.role] in files for c in chosen):
            return [
                LocatedFile(
                    c.role,
                    folder / names[c.role],
                    f"{names[c.role]} in {folder}/ (the folder that holds both files)",
                )
                for c in chosen
            ]
    return chosen
