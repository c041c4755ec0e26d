"""Copy only the files to grade into a fresh folder: the sandbox's only writable place.

Nothing else from the repository comes along (no conftest.py, no .pth, no fake results),
so what the student ships beyond the graded files cannot reach any process.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.model import Located

MAX_FILE_BYTES = 1 << 20


def stage(root: Path, located: Located, dest: Path) -> dict[str, str]:
    """Copy each located file into dest under its own name; return role -> file name."""
    dest.mkdir(parents=True, exist_ok=False)
    names: dict[str, str] = {}
    for found in located.files:
        name = found.path.name
        if name in names.values():  # two roles with one name in different folders
            name = f"{found.role}_{name}"
        src = root / found.path
        if src.is_symlink() or src.stat().st_size > MAX_FILE_BYTES:
            continue  # a link could point anywhere; a huge "source" is not a submission
        shutil.copyfile(src, dest / name)
        names[found.role] = name
    return names
