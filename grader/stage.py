"""Stage 4 of 7, Snapshot + Located -> staged folder: write only the files to grade into
a fresh folder, the sandbox's only writable place.

Nothing else from the repository comes along (no conftest.py, no .pth, no fake results),
so what the student ships beyond the graded files cannot reach any process. The files
are written from the snapshot's bytes: the submission itself is not opened again. The
assignment's data folders (`[[data]]`, e.g. a web root the student's server reads) are
copied from the assignment beside them: the student's own copy is never staged, so the
checks compare with the very bytes the student's code had.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.model import DataFolder, Located, OptionalWork, SourceFile
from grader.protocol import StagedFile, StagedFunction, StagedServer
from grader.snapshot import Snapshot

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

    def __init__(self, snapshot: Snapshot, dest: Path) -> None:
        self.snapshot = snapshot
        self.dest = dest
        self.by_path: dict[PurePosixPath, str] = {}
        self.reserved: set[str] = set()  # the data folders' names

    def stage(self, path: PurePosixPath, prefix: str) -> str | None:
        if path in self.by_path:  # e.g. the port-services function inside the client's file
            return self.by_path[path]
        data = self.snapshot.data(path)
        if data is None:
            return None  # never read: a link, a pipe, or too big (the snapshot says which)
        name = path.name
        if name in self.by_path.values() or name in self.reserved:  # two of one name
            name = f"{prefix}_{name}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(self.dest / name, flags, 0o644), "wb") as f:
            f.write(data)
        self.by_path[path] = name
        return name


def stage(
    snapshot: Snapshot,
    *,
    located: Located,
    dest: Path,
    optional: OptionalWork,
    data: tuple[DataFolder, ...] = (),
) -> Staged:
    """Write each located file (and the optional tasks' files) into dest, and copy the
    assignment's data folders beside them."""
    dest.mkdir(parents=True, exist_ok=False)
    names = _Names(snapshot, dest)
    for folder in data:
        # Trusted files of the assignment (checked when it was loaded: regular files,
        # within the caps); no link is followed or copied.
        shutil.copytree(folder.source, dest / folder.name, symlinks=True)
        names.reserved.add(folder.name)
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


def read_sources(
    snapshot: Snapshot, *, located: Located, optional: OptionalWork
) -> tuple[SourceFile, ...]:
    """The text of every graded file (capped), for comparing submissions in a batch."""
    wanted = [(f.role, f.path) for f in located.files]
    wanted += [("multi_server", s.path) for s in optional.servers]
    if optional.port_function is not None:
        wanted.append(("port_services", optional.port_function.path))
    out: list[SourceFile] = []
    seen: set[PurePosixPath] = set()
    for role, path in wanted:
        data = snapshot.data(path)
        if path in seen or data is None:
            continue
        seen.add(path)
        out.append(SourceFile(role, path, data[:MAX_SOURCE_CHARS].decode("utf-8", "replace")))
    return tuple(out)
