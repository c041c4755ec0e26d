"""What student code must never read, and how each isolation keeps it out of reach.

The answer key is the grader's own install (its package, with the bundled reference and
checks in a wheel, or the whole checkout for an editable install) and the assignment
being graded. Student processes need their interpreter's standard library and nothing
of the grader's:

- under bubblewrap, every site-packages/dist-packages folder and every secret path that
  lies inside a bound folder is covered by an empty read-only tmpfs (`masks`);
- under Isolation.USER (a uid of the job's own, no namespaces), Landlock, where the
  kernel has it, restricts the student process to an allowlist (`landlock_rules`,
  applied by `landlock_prelude` in the student's interpreter before any student code
  runs, after `setpriv --no-new-privs`); where it does not, the secret paths are made
  unreadable to other users (`make_private`), and the run refuses if they cannot be.

Isolation.NONE (the grader's own user) can protect nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from grader.sandbox.prelude import inside_program

PACKAGE = Path(__file__).resolve().parent.parent  # the grader package
SITE_GLOBS = (
    "lib*/python3*/site-packages",
    "lib*/python3*/dist-packages",
    "lib*/python3/dist-packages",
    "local/lib*/python3*/site-packages",
    "local/lib*/python3*/dist-packages",
    "local/lib*/python3/dist-packages",
)

# Landlock access rights (linux/landlock.h), and the ABI version that added each.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
MAKE_ALL_V1 = sum(1 << i for i in range(4, 13))  # remove/make dir, reg, sock, fifo, ...
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
READ = EXECUTE | READ_FILE | READ_DIR
FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def grader_secrets() -> tuple[str, ...]:
    """The grader's own install: the whole checkout when it runs from one (an editable
    install: reference/, assignments/ and tests/examples are answer keys too), else the
    package folder (a wheel's grader/_bundled holds the reference and the checks)."""
    top = PACKAGE.parent
    if (top / "pyproject.toml").is_file() and (top / "grader").resolve() == PACKAGE:
        return (str(top),)
    return (str(PACKAGE),)


def site_dirs(roots: Iterable[str]) -> list[str]:
    """Every site-packages/dist-packages folder under the given install roots."""
    found: list[str] = []
    for root in roots:
        for pattern in SITE_GLOBS:
            for hit in sorted(glob.glob(os.path.join(glob.escape(root), pattern))):
                real = os.path.realpath(hit)
                if os.path.isdir(real) and real not in found:
                    found.append(real)
    return found


def _inside(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def masks(bound: Iterable[str], *, hidden: Iterable[str], keep: Iterable[str]) -> list[str]:
    """Folders to cover inside the bound ones: their site folders and every hidden path
    inside them, never one that holds a path student code needs (`keep`: the
    interpreter's own prefixes, say)."""
    roots = [os.path.realpath(b) for b in bound]
    needed = [os.path.realpath(k) for k in keep]
    out: list[str] = []
    for path in [*site_dirs(roots), *(os.path.realpath(h) for h in hidden)]:
        if not os.path.isdir(path) or not _inside(path, roots) or path in out:
            continue
        if any(_inside(k, [path]) for k in needed):
            continue  # covering it would hide the interpreter itself
        out.append(path)
    return out


def _allow_except(root: str, excluded: list[str], rights: int, out: list[tuple[str, int]]) -> None:
    """Rules that allow `rights` beneath root, except beneath the excluded paths (Landlock
    only allows: the siblings on the way down to each excluded path are allowed one by one)."""
    if root in excluded:
        return
    if not any(_inside(e, [root]) for e in excluded):
        out.append((root, rights))
        return
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = os.path.join(root, entry.name)
        if entry.is_symlink():
            continue  # reached through its target, which has rules of its own
        if entry.is_dir():
            _allow_except(path, excluded, rights, out)
        else:
            out.append((path, rights & FILE_ONLY))


def landlock_rules(
    readable: Iterable[str], *, writable: Iterable[str], hidden: Iterable[str]
) -> tuple[tuple[str, int], ...]:
    """The allowlist of a USER-mode student process: read (and run) the system and its
    interpreter, minus every site folder and hidden path; write its own folders; use the
    harmless devices. Everything else of the machine (/tmp, /home, /root, /work, the
    grader, /grade, /autograder) cannot be opened at all."""
    roots = sorted({os.path.realpath(r) for r in readable if os.path.isdir(r)})
    excluded = [*site_dirs(roots), *(os.path.realpath(h) for h in hidden)]
    rules: list[tuple[str, int]] = []
    for root in roots:
        _allow_except(root, excluded, READ, rules)
    for place in writable:
        rules.append((os.path.realpath(place), READ | WRITE_FILE | MAKE_ALL_V1 | TRUNCATE))
    rules += [(d, READ_FILE | WRITE_FILE) for d in DEVICES if os.path.exists(d)]
    return tuple(rules)


def landlock_prelude(rules: tuple[tuple[str, int], ...], *, abi: int) -> str:
    """Code the student's interpreter runs first: restrict itself to `rules`, or exit 70
    (the preflight then refuses to grade): it never runs student code unrestricted."""
    return inside_program(
        "landlock.py", call=f"_grader_landlock({abi:d}, {rules!r}); del _grader_landlock"
    )


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers to this process (0: none)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        version = int(libc.syscall(_SYS_CREATE_RULESET, None, 0, 1))
    except (OSError, AttributeError, TypeError):
        return 0
    return max(version, 0)


def reachable_by_others(path: str) -> bool:
    """Whether a user that is neither owner nor group could read path or anything in
    it: every folder above it searchable by others, and itself readable or (a folder)
    searchable by others."""
    try:
        target = Path(path).resolve()
        for folder in reversed(target.parents):
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                return False
        return bool(os.stat(target).st_mode & (stat.S_IROTH | stat.S_IXOTH))
    except OSError:
        return False


def make_private(paths: Iterable[str]) -> list[str]:
    """Take every permission of other users off each path (not its contents: a folder
    they cannot enter hides all of it); the paths still reachable afterwards."""
    left: list[str] = []
    for path in paths:
        if not reachable_by_others(path):
            continue
        with contextlib.suppress(OSError):
            mode = os.stat(path).st_mode
            os.chmod(path, stat.S_IMODE(mode) & ~0o007)
        if reachable_by_others(path):
            left.append(path)
    return left
