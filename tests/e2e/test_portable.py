"""The path macOS takes, shown on Linux: with GRADER_PORTABLE=1 no Linux-only facility is
used (no bubblewrap, namespaces, /proc, netlink, prlimit, setpriv or cgroups), and
`grade` still grades, unsandboxed and warned; a hang ends at the check's time limit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ROOT, make_repo

from grader.model import Assignment, Hang, Isolation, Outcome, Status
from grader.pipeline import grade
from grader.run import PORTABLE_NOTE, UNSANDBOXED_WARNING
from grader.settings import Settings


@pytest.fixture
def portable(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    monkeypatch.setenv("GRADER_PORTABLE", "1")
    return Settings


def test_the_variable_turns_the_mode_on(portable: Callable[..., Settings]) -> None:
    assert portable().portable is True


def test_the_reference_scores_100(
    portable: Callable[..., Settings], tmp_path: Path, echo_assignment: Assignment
) -> None:
    repo = make_repo(tmp_path / "ref", ROOT / "reference")
    result = grade(str(repo), assignment=echo_assignment, settings=portable(reveal=True))
    assert result.status is Status.GRADED, result.problem
    assert result.run is not None and result.run.isolation is Isolation.NONE
    assert result.score is not None and result.score.percent == 100, [
        (c.check_id, c.message) for c in result.run.checks if c.outcome is not Outcome.PASSED
    ]
    assert result.warnings[:2] == (UNSANDBOXED_WARNING, PORTABLE_NOTE)


def test_a_hang_ends_at_the_time_limit(
    portable: Callable[..., Settings], tmp_path: Path, echo_assignment: Assignment
) -> None:
    repo = make_repo(
        tmp_path / "hangs", ROOT / "tests" / "examples" / "client_stops_on_short_chunk"
    )
    settings = portable(reveal=True, check_timeout_s=1.0)
    result = grade(str(repo), assignment=echo_assignment, settings=settings)
    assert result.status is Status.GRADED and result.run is not None
    for check_id in ("client_exactly_16_bytes", "client_empty_message"):
        check = result.run.get(check_id)
        assert check is not None and check.outcome is Outcome.TIMEOUT, check_id
        # Not recognised as blocked at once (that needs /proc): it ran to the limit.
        assert check.hang is Hang.BUSY, check_id
        assert check.duration_s >= 1.0, (check_id, check.duration_s)
    short = result.run.get("client_short_message")
    assert short is not None and short.outcome is Outcome.PASSED


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_no_linux_only_facility_is_touched(tmp_path: Path) -> None:
    """Every process of a portable run, traced: no /proc, no netlink, no namespaces, no
    prlimit, setpriv, bwrap, unshare or ip."""
    repo = make_repo(tmp_path / "ref", ROOT / "reference")
    trace = tmp_path / "trace"
    done = subprocess.run(
        [
            "strace", "-f", "-qq", "-o", str(trace),
            "-e", "trace=openat,open,socket,unshare,setns,execve,pidfd_open",
            sys.executable, "-m", "grader", str(repo), "--out", str(tmp_path / "g"),
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "GRADER_PORTABLE": "1",
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(100%)" in done.stdout
    used = [
        line
        for line in trace.read_text().splitlines()
        if "ENOENT" not in line
        and (
            '"/proc/' in line
            or "AF_NETLINK" in line
            or "unshare(" in line
            or "setns(" in line
            or "pidfd_open(" in line
            or any(f'/{tool}"' in line for tool in ("prlimit", "setpriv", "bwrap", "unshare", "ip"))
        )
    ]
    assert not used, "\n".join(used[:20])


def test_a_port_taken_before_the_run_is_the_machines_fault(
    portable: Callable[..., Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Sharing the machine's network, the student's own server left running in a
    terminal (here: anything listening on 10000) stops the run with exit code 4 and the
    fix, never a verdict."""
    import socket

    from grader.cli import main
    from grader.errors import ExitCode

    squatter = socket.socket()
    try:
        squatter.bind(("127.0.0.1", 10000))
    except OSError:
        squatter.close()
        pytest.skip("the port is in use on this machine already")
    squatter.listen(1)
    monkeypatch.chdir(tmp_path)
    try:
        repo = make_repo(tmp_path / "ref", ROOT / "reference")
        code = main([str(repo), "--out", str(tmp_path / "g")])
    finally:
        squatter.close()
    err = capsys.readouterr().err
    assert code == ExitCode.INFRASTRUCTURE
    assert "another program listens on port 10000 of this machine" in err
    assert "stop it and run grade again" in err
