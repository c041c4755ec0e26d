"""What student code must never read, against a fake install in tmp_path: the folders
bubblewrap covers, the Landlock allowlist of the fallback, and making files private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grader.sandbox import private


def install(tmp_path: Path) -> Path:
    """A prefix laid out like /usr: a standard library, site folders, a grader in one."""
    prefix = tmp_path / "usr"
    for folder in (
        "bin",
        "lib/python3.11/json",
        "lib/python3.11/site-packages/grader/_bundled/reference",
        "lib/python3/dist-packages",
        "local/lib/python3.11/dist-packages",
        "share/zoneinfo",
    ):
        (prefix / folder).mkdir(parents=True)
    (prefix / "lib/python3.11/os.py").write_text("")
    return prefix


def test_every_site_folder_and_hidden_path_inside_what_is_bound_is_covered(
    tmp_path: Path,
) -> None:
    prefix = install(tmp_path)
    elsewhere = tmp_path / "checkout"
    elsewhere.mkdir()
    covered = private.masks([str(prefix)], hidden=[str(elsewhere)], keep=[str(prefix / "bin")])
    assert sorted(covered) == sorted(
        str(prefix / p)
        for p in (
            "lib/python3.11/site-packages",
            "lib/python3/dist-packages",
            "local/lib/python3.11/dist-packages",
        )
    )  # the checkout is not bound: nothing to cover


def test_a_folder_that_holds_the_interpreter_is_never_covered(tmp_path: Path) -> None:
    prefix = install(tmp_path)
    assert private.masks([str(prefix)], hidden=[str(prefix)], keep=[str(prefix / "bin")]) == [
        str(p) for p in private.masks([str(prefix)], hidden=[], keep=[])
    ]


def test_the_allowlist_reads_the_standard_library_and_no_site_folder(tmp_path: Path) -> None:
    prefix = install(tmp_path)
    mine = tmp_path / "job"
    rules = dict(private.landlock_rules([str(prefix)], writable=[str(mine)], hidden=[]))
    allowed = set(rules)
    assert str(prefix / "lib/python3.11/json") in allowed
    assert str(prefix / "lib/python3.11/os.py") in allowed
    assert str(prefix / "share") in allowed and str(prefix / "bin") in allowed
    assert not [p for p in allowed if "-packages" in p]
    assert rules[str(prefix / "lib/python3.11/os.py")] & private.READ_DIR == 0  # a file's rights
    assert rules[str(mine)] & private.WRITE_FILE
    assert not [p for p, r in rules.items() if r & private.WRITE_FILE and str(prefix) in p]


def test_made_private_no_other_user_can_enter(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    secret = shared / "grader"
    secret.mkdir(parents=True)
    tmp_path.chmod(0o755)
    shared.chmod(0o755)
    secret.chmod(0o755)
    if not private.reachable_by_others(str(secret)):  # a folder above is private already
        assert private.make_private([str(secret)]) == []
        return
    assert private.make_private([str(secret)]) == []
    assert not stat.S_IMODE(os.stat(secret).st_mode) & 0o007
    assert not private.reachable_by_others(str(secret))
