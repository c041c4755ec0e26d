"""The lock unsandboxed runs take turns with belongs to the user: never a fixed name in
the shared /tmp that another user could hold or replace."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from grader.errors import InfrastructureError
from grader.run.runner import _lock_path


def test_in_the_runtime_folder_or_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    assert _lock_path() == tmp_path / "run" / "grader" / "unsandboxed.lock"
    assert (tmp_path / "run" / "grader").stat().st_mode & 0o777 == 0o700
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _lock_path() == tmp_path / "home" / ".cache" / "grader" / "unsandboxed.lock"


def test_a_private_folder_in_tmp_when_home_is_unusable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("HOME", "/proc/no-such-home")  # cannot be made, even by root
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    lock = _lock_path()
    assert lock == tmp_path / f"grader-{os.getuid()}" / "unsandboxed.lock"
    assert lock.parent.stat().st_mode & 0o777 == 0o700


def test_a_folder_others_can_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("HOME", "/proc/no-such-home")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    planted = tmp_path / f"grader-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    with pytest.raises(InfrastructureError, match="not a private folder of this user"):
        _lock_path()
