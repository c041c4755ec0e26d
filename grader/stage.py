"""Copy only the files to grade into a fresh folder: the sandbox's only writable place.

Nothing else from the repository comes along (no conftest.py, no .pth, no fake results),
so what the student ships beyond the graded files cannot reach any process.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from grader.model import Located, OptionalWork, SourceFile

MAX_FILE_BYTES = 1 << 20
MAX_SOURCE_CHARS = 64 * 1024  # kept per file for comparing submissions


def optional_files(optional: OptionalWork | None) -> list[tuple[str, PurePosixPath]]:
    """(role, path) of the optional tasks' files: multi_server_1.., port_services."""
    if optional is None:
        return []
    files = [(f"multi_server_{i}", s.path) for i, s in enumerate(optional.servers, start=1)]
    if optional.port_function is not None:
        files.append(("port_services", optional.port_function.path))
    return files


def stage(
    root: Path, located: Located, dest: Path, *, optional: OptionalWork | None = None
) -> dict[str, str]:
    """Copy each located file (and the optional tasks' files) into dest under its own
    name; return role -> file name."""
    dest.mkdir(parents=True, exist_ok=False)
    names: dict[str, str] = {}
    by_path: dict[PurePosixPath, str] = {}
    wanted = [(f.role, f.path) for f in located.files] + optional_files(optional)
    for role, path in wanted:
        if path in by_path:  # e.g. the port-services function inside echo_client.py
            names[role] = by_path[path]
            continue
        name = path.name
        if name in names.values():  # two roles with one name in different folders
            name = f"{role}_{name}"
        src = root / path
        if src.is_symlink() or src.stat().st_size > MAX_FILE_BYTES:
            continue  # a link could point anywhere; a huge "source" is not a submission
        shutil.copyfile(src, dest / name)
        names[role] = name
        by_path[path] = name
    return names


def read_sources(
    root: Path, located: Located, *, optional: OptionalWork | None = None
) -> tuple[SourceFile, ...]:
    """The text of every graded file (capped), for comparing submissions in a batch."""
    out: list[SourceFile] = []
    seen: set[PurePosixPath] = set()
    for role, path in [(f.role, f.path) for f in located.files] + optional_files(optional):
        src = root / path
        if path in seen or src.is_symlink() or not src.is_file():
            continue
        seen.add(path)
        with open(src, "rb") as f:
            data = f.read(MAX_SOURCE_CHARS)
        out.append(SourceFile(role, path, data.decode("utf-8", "replace")))
    return tuple(out)
