"""The warm harness (grader/harness/zygote.py, grader/run/zygote.py) with real processes:
a forked harness answers as a cold one would, starts from the zygote's clean state every
time, dies with the zygote, and when the zygote is gone the grader starts harnesses cold.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.model import Isolation, Outcome
from grader.protocol import CheckPlan, RunConfig
from grader.run import capabilities
from grader.run.harness import HarnessProcess, Supervisor, Zygotes, start
from grader.run.results import parse
from grader.run.zygote import Forked
from grader.sandbox.policy import Policy

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")

# A check module with state: a harness that inherited another's would see it.
CHECKS = """
import os
import pathlib
import time

SEEN = []
WAIT = pathlib.Path(__file__).parent / "wait_s"


def test_first_in_this_harness():
    assert SEEN == [], f"state left by an earlier harness: {SEEN}"
    SEEN.append(os.getpid())


def test_waits():
    time.sleep(float(WAIT.read_text()) if WAIT.exists() else 0)
"""


def config_for(folder: Path, plan: tuple[str, ...]) -> RunConfig:
    return RunConfig(
        staged=folder,
        wanted=(),
        files=(),
        problems=(),
        checks=tuple(CheckPlan(c, 30.0) for c in plan),
        policy=Policy(Isolation.NONE, sys.executable, (), "zygote"),
        default_port=10000,
        quiescence_s=0.1,
    )


@pytest.fixture
def checks(tmp_path: Path) -> Path:
    folder = tmp_path / "checks"
    folder.mkdir()
    (folder / "test_state.py").write_text(CHECKS)
    return folder


@pytest.fixture
def zygotes() -> Iterator[Zygotes]:
    made = Zygotes()
    yield made
    made.close()


def harness(
    checks: Path, zygotes: Zygotes, tmp_path: Path, plan: tuple[str, ...]
) -> HarnessProcess:
    config = config_for(checks, plan)
    home = tmp_path / f"home-{time.monotonic_ns()}"
    home.mkdir()
    zygote = zygotes.get(checks, netns=False, caps=capabilities())
    return start(
        config,
        targets=[checks],
        checks_dir=checks,
        caps=capabilities(),
        home=home,
        supervisor=Supervisor(),
        zygote=zygote,
    )


def gone(pid: int, *, within_s: float) -> bool:
    """The process has ended (a zombie waiting for its new parent counts as ended)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in "ZX":
            return True
        time.sleep(0.01)
    return False


def outcomes(one: HarnessProcess) -> dict[str, Outcome]:
    one.finish(time.monotonic() + 30)
    parsed = parse(one.raw, known=["first_in_this_harness", "waits"])
    return {cid: c.outcome for cid, c in parsed.checks.items()}


def test_every_forked_harness_starts_from_the_zygotes_clean_state(
    checks: Path, zygotes: Zygotes, tmp_path: Path
) -> None:
    first = harness(checks, zygotes, tmp_path, ("first_in_this_harness",))
    second = harness(checks, zygotes, tmp_path, ("first_in_this_harness",))
    assert isinstance(first.proc, Forked) and isinstance(second.proc, Forked)
    assert outcomes(first) == {"first_in_this_harness": Outcome.PASSED}
    assert outcomes(second) == {"first_in_this_harness": Outcome.PASSED}
    assert first.proc.returncode == 0 and second.proc.returncode == 0


def test_a_forked_harness_dies_with_its_zygote_and_the_next_one_starts_cold(
    checks: Path, zygotes: Zygotes, tmp_path: Path
) -> None:
    (checks / "wait_s").write_text("60")
    waiting = harness(checks, zygotes, tmp_path, ("waits",))
    assert isinstance(waiting.proc, Forked)
    zygote = zygotes.get(checks, netns=False, caps=capabilities())
    assert zygote is not None
    os.kill(zygote.proc.pid, signal.SIGKILL)
    assert waiting.proc.wait(10) is not None
    assert gone(waiting.proc.pid, within_s=10)  # the death signal, not the 60 s sleep
    (checks / "wait_s").unlink()
    cold = harness(checks, zygotes, tmp_path, ("first_in_this_harness", "waits"))
    assert not isinstance(cold.proc, Forked)
    assert outcomes(cold) == {"first_in_this_harness": Outcome.PASSED, "waits": Outcome.PASSED}
