"""The wheel of an installed grader, rebuilt from its installed files.

A plain install (pip, pipx) has no source tree to build a wheel from, but the install
kept what the wheel held: its RECORD lists every file with its hash. The wheel is those
files again (less what the installer added: INSTALLER, REQUESTED, direct_url.json,
scripts, bytecode), each checked against its hash, with a new RECORD. Installed, it is
the grader that is running: the same package, the same bundled assignments.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

import grader
from grader.errors import UsageError

ADDED_BY_INSTALLER = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})


def this_distribution() -> metadata.Distribution | None:
    """The installed distribution whose files are the grader that is running."""
    running = Path(grader.__file__).resolve()
    for dist in metadata.distributions(name="grader"):
        if Path(str(dist.locate_file("grader/__init__.py"))).resolve() == running:
            return dist
    return None


def rebuild_installed(dest: Path) -> Path:
    """Write the running grader's wheel into dest from its installed files; return it."""
    dist = this_distribution()
    files = (dist.files or []) if dist is not None else []
    info = next((p.parts[0] for p in files if p.parts[0].endswith(".dist-info")), None)
    if dist is None or info is None:
        raise UsageError(
            "this grader is neither a source tree nor an installed wheel, so it cannot build "
            "its own wheel; pass one with --wheel FILE."
        )
    entries: list[tuple[str, bytes]] = []
    for path in files:
        if path.parts[0] == ".." or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue  # scripts (made from entry_points.txt) and bytecode
        if path.parts[0] == info and path.name in ADDED_BY_INSTALLER:
            continue
        data = Path(str(dist.locate_file(path))).read_bytes()
        if path.hash is not None and _digest(data, path.hash.mode) != path.hash.value:
            raise UsageError(
                f"the installed grader's {path} is not the file that was installed; "
                "reinstall the grader, or pass --wheel FILE."
            )
        entries.append((path.as_posix(), data))
    entries.sort(key=lambda e: (e[0].startswith(info), e[0]))  # .dist-info last
    name = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}-{_tag(dist)}.whl"
    out = dest / name
    record = [f"{n},sha256={_digest(d, 'sha256')},{len(d)}" for n, d in entries]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in entries:
            z.writestr(_info(n), d)
        z.writestr(_info(f"{info}/RECORD"), "\n".join([*record, f"{info}/RECORD,,", ""]))
    return out


def _tag(dist: metadata.Distribution) -> str:
    """The wheel's tag from its WHEEL file (a pure-Python wheel: py3-none-any)."""
    for line in (dist.read_text("WHEEL") or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Tag" and value.strip():
            return value.strip()
    return "py3-none-any"


def _digest(data: bytes, mode: str) -> str:
    try:
        raw = hashlib.new(mode, data).digest()
    except ValueError:
        return ""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
