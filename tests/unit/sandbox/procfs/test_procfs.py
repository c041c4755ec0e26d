"""sandbox/procfs/ reads what a student's process wrote into /proc: its name (in stat,
status and comm) is any 15 bytes, ")" and invalid UTF-8 included. A real process renamed
so is watched like any other; and on a /proc of hostile bytes, every reader returns what
it could read and raises nothing but what /proc itself refuses."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.sandbox import procfs

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

RENAMED = """
import sys, time
with open('/proc/self/comm', 'wb') as comm:
    comm.write(b'\\xff\\xfe) S 1 (\\xc3')
print('renamed', flush=True)
time.sleep(30)
"""


@pytest.fixture
def renamed() -> Iterator[int]:
    """A live process whose name is not UTF-8 and looks like the end of stat's name."""
    proc = subprocess.Popen([sys.executable, "-c", RENAMED], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"renamed\n"
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_a_process_named_in_invalid_utf8_is_watched_like_any_other(renamed: int) -> None:
    assert b"\xff\xfe" in Path(f"/proc/{renamed}/stat").read_bytes()  # the trap is set
    deadline = time.monotonic() + 5
    while procfs.states([renamed]) != ["S"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert procfs.states([renamed]) == ["S"]
    assert procfs.cpu_seconds([renamed]) >= 0.0
    assert procfs.threads([renamed]) == 1
    assert procfs.threads([renamed], besides=("bwrap",)) == 1
    assert procfs.tree(renamed) == [renamed]
    assert all(w.pid == renamed for w in procfs.waits([renamed]))


def test_a_process_calling_itself_bwrap_still_has_its_threads_counted() -> None:
    code = RENAMED.replace("\\xff\\xfe) S 1 (\\xc3", "bwrap")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"renamed\n"
        assert Path(f"/proc/{proc.pid}/comm").read_text() == "bwrap\n"
        assert procfs.threads([proc.pid], besides=("bwrap",)) == 1
    finally:
        proc.kill()
        proc.wait()


FILES = ("stat", "comm", "task/1/children", "task/1/syscall", "net/tcp", "net/tcp6")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(FILES), st.binary(max_size=400)))
def test_every_reader_survives_a_proc_of_hostile_bytes(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "42" / "task" / "1").mkdir(parents=True)
        (Path(root) / "42" / "net").mkdir()
        for name, data in files.items():
            (Path(root) / "42" / name).write_bytes(data)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(procfs.files, "PROC", Path(root))  # where every reader finds /proc
            assert all(isinstance(s, str) for s in procfs.states([42]))
            assert procfs.cpu_seconds([42]) >= 0
            assert procfs.threads([42], besides=("bwrap",)) in (0, 1)
            assert 42 in procfs.tree(42)
            procfs.waits([42])
            assert all(isinstance(p, int) for p in procfs.sockets._listening_procfs(42).values())
