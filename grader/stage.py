"""Stage 4 of 7, Located -> staged folder: copy only the files to grade into a fresh
folder, the sandbox's only writable place.

Nothing else from the repository comes along (no conftest.py, no .pth, no fake results),
so what the student ships beyond the graded files cannot reach any process.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.model import Located, OptionalWork, SourceFile
from grader.protocol import StagedFile, StagedFunction, StagedServer

MAX_FILE_BYTES = 1 << 20
MAX_SOURCE_CHARS = 64 * 1024  # kept per file for comparing submissions


@dataclass(frozen=True, slots=True)
class Staged:
    """What was staged, under which names."""

    folder: Path
    files: tuple[StagedFile, ...]
    multi_servers: tuple[StagedServer, ...] = ()
    port_function: StagedFunction | None = None


class _Names:
    """Staged names: one per repository path, never two files under one name."""

    def __init__(self, root: Path, dest: Path) -> None:
        self.root = root
        self.dest = dest
        self.by_path: dict[PurePosixPath, str] = {}

    def stage(self, path: PurePosixPath, prefix: str) -> str | None:
        if path in self.by_path:  # e.g. the port-services function inside echo_client.py
            return self.by_path[path]
        src = self.root / path
        if src.is_symlink() or not src.is_file() or src.stat().st_size > MAX_FILE_BYTES:
            return None  # a link could point anywhere; a huge "source" is not a submission
        name = path.name
        if name in self.by_path.values():  # two files of one name in different folders
            name = f"{prefix}_{name}"
        shutil.copyfile(src, self.dest / name)
        self.by_path[path] = name
        return name


def stage(root: Path, located: Located, dest: Path, *, optional: OptionalWork) -> Staged:
    """Copy each located file (and the optional tasks' files) into dest."""
    dest.mkdir(parents=True, exist_ok=False)
    names = _Names(root, dest)
    files = []
    for f in located.files:
        name = names.stage(f.path, f.role)
        if name is not None:
            files.append(StagedFile(f.role, name, f.path))
    servers = []
    for i, found in enumerate(optional.servers, start=1):
        name = names.stage(found.path, f"multi_server_{i}")
        if name is not None:
            servers.append(StagedServer(name, found))
    function = None
    port = optional.port_function
    if port is not None:
        name = names.stage(port.path, "port_services")
        function = StagedFunction(name, port) if name is not None else None
    return Staged(dest, tuple(files), tuple(servers), function)


def read_sources(root: Path, located: Located, *, optional: OptionalWork) -> tuple[SourceFile, ...]:
    """The text of every graded file (capped), for comparing submissions in a batch."""
    wanted = [(f.role, f.path) for f in located.files]
    wanted += [("multi_server", s.path) for s in optional.servers]
    if optional.port_function is not None:
        wanted.append(("port_services", optional.port_function.path))
    out: list[SourceFile] = []
    seen: set[PurePosixPath] = set()
    for role, path in wanted:
        src = root / path
        if path in seen or src.is_symlink() or not src.is_file():
            continue
        seen.add(path)
        with open(src, "rb") as f:
            data = f.read(MAX_SOURCE_CHARS)
        out.append(SourceFile(role, path, data.decode("utf-8", "replace")))
    return tuple(out)
