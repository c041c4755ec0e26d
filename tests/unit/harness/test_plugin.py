"""harness/plugin.py under pytester: a tiny check file run with the plugin loaded by -p,
the plan and the answer on pipes as grader/run/harness.py passes them. The records say
how each check ended, in the plan's order, and nothing unplanned runs."""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from grader import codec
from grader.harness.plugin import GRADER_FAULT, MAX_MESSAGE
from grader.model import Hang, Isolation, Outcome
from grader.protocol import (
    CONFIG_FD_ENV,
    RESULTS_FD_ENV,
    SCHEMA,
    CheckPlan,
    Record,
    RunConfig,
    SessionEnd,
)
from grader.run.harness import INI
from grader.sandbox.policy import Policy

pytest_plugins = ("pytester",)

CHECKS = """
import pytest

from grader.harness.evidence import Check
from grader.harness.plugin import check_id, evidence_key
from grader.model import Hang
from grader.protocol import CheckPlan


@pytest.fixture
def check(request):
    made = Check(CheckPlan(check_id(request.node), 2.0), 0.1)
    request.node.stash[evidence_key] = made
    return made


@pytest.fixture
def broken():
    raise OSError("the grader's fixture broke")


@pytest.fixture
def breaks_after():
    yield
    raise RuntimeError("teardown broke")


@pytest.fixture
def port_taken():
    from grader.errors import StudentFault

    raise StudentFault("a process your code started holds port 10000.")


def test_passes(check):
    check.exchange("hello", sent=b"hi", received=b"hi", expected=b"hi")


def test_fails(check):
    check.commands("python echo_server.py")
    check.fail("your server sent nothing back.")


def test_raises(check):
    raise KeyError("a bug in the check")


def test_skips(check):
    pytest.skip("nothing to grade here")


def test_hangs(check):
    check.hung(Hang.BLOCKED, "your client never returned.")


def test_fixture_breaks(broken):
    pass


def test_teardown_breaks(breaks_after):
    pass


def test_fails_then_teardown_breaks(check, breaks_after):
    check.fail("your client returned nothing.")


def test_without_evidence():
    pass


def test_student_breaks_a_reader(check):
    from grader.errors import StudentFault

    raise StudentFault("your process made the grader's reading fail: " + "x" * 10000)


def test_student_holds_a_port(check, port_taken):
    pass


def test_unplanned():
    raise AssertionError("a check the grader did not plan must never run")
"""

PLAN = (
    "raises",
    "passes",
    "fails",
    "skips",
    "hangs",
    "fixture_breaks",
    "teardown_breaks",
    "fails_then_teardown_breaks",
    "without_evidence",
    "student_breaks_a_reader",
    "student_holds_a_port",
    "planned_but_absent",
)


def config_for(folder: Path, plan: tuple[str, ...] = PLAN) -> RunConfig:
    return RunConfig(
        staged=folder,
        wanted=(),
        files=(),
        problems=(),
        checks=tuple(CheckPlan(c, 2.0) for c in plan),
        policy=Policy(Isolation.NONE, sys.executable, (), "unit"),
        default_port=10000,
        quiescence_s=0.1,
    )


class Pipes:
    """The plan written to one pipe, the answer drained from another."""

    def __init__(self, config: RunConfig, monkeypatch: pytest.MonkeyPatch) -> None:
        config_r, config_w = os.pipe()
        self._results_r, results_w = os.pipe()
        os.write(config_w, json.dumps(codec.dump(config)).encode())
        os.close(config_w)
        monkeypatch.setenv(CONFIG_FD_ENV, str(config_r))
        monkeypatch.setenv(RESULTS_FD_ENV, str(results_w))
        self._chunks: list[bytes] = []
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while chunk := os.read(self._results_r, 1 << 16):
            self._chunks.append(chunk)
        os.close(self._results_r)

    def records(self) -> list[Record]:
        self._thread.join(5.0)
        raw = b"".join(self._chunks)
        assert raw.endswith(b"\n"), raw[-200:]
        return [codec.load(Record, json.loads(line)) for line in raw.splitlines()]


def run_harness(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> tuple[pytest.RunResult, list[Record]]:
    """The tiny check file run as the grader runs a harness (pinned ini, plugins by -p)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_checks=CHECKS)
    pipes = Pipes(config_for(pytester.path), monkeypatch)
    ran = pytester.runpytest_inprocess(
        "-c", str(INI), "--rootdir", str(pytester.path), "-p", "pytest_timeout",
        "-p", "grader.harness.plugin",
    )  # fmt: skip
    return ran, pipes.records()


# check id -> outcome, message; a grader fault (ERROR) also carries its traceback
ENDED = {
    "passes": (Outcome.PASSED, ""),
    "without_evidence": (Outcome.PASSED, ""),
    "fails": (Outcome.FAILED, "your server sent nothing back."),
    "fails_then_teardown_breaks": (Outcome.FAILED, "your client returned nothing."),
    # what the submission made trusted code fail on: its failure, the message capped
    "student_breaks_a_reader": (
        Outcome.FAILED,
        ("your process made the grader's reading fail: " + "x" * 10000)[:MAX_MESSAGE],
    ),
    "student_holds_a_port": (Outcome.FAILED, "a process your code started holds port 10000."),
    "hangs": (Outcome.TIMEOUT, "your client never returned."),
    "skips": (Outcome.SKIPPED, "Skipped: nothing to grade here"),
    "raises": (Outcome.ERROR, GRADER_FAULT),
    "fixture_breaks": (Outcome.ERROR, GRADER_FAULT),
    "teardown_breaks": (Outcome.ERROR, GRADER_FAULT),
}
TRACES = {
    "raises": "KeyError: 'a bug in the check'",
    "fixture_breaks": "OSError: the grader's fixture broke",
    "teardown_breaks": "RuntimeError: teardown broke",
}


def test_the_records_of_a_harness_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One run (a pytest session costs a few hundred ms), every rule of the plugin."""
    ran, records = run_harness(pytester, monkeypatch)
    # one record per planned check that exists, in the plan's order, then the session
    assert {r.schema for r in records} == {SCHEMA}
    checks = [r.check for r in records if r.check is not None]
    assert [c.check_id for c in checks] == [c for c in PLAN if c != "planned_but_absent"]
    assert records[-1] == Record(SCHEMA, session=SessionEnd((), 1))
    # how each check ended: the first failing phase decides
    found = {c.check_id: c for c in checks}
    assert {cid: (c.outcome, c.message) for cid, c in found.items()} == ENDED
    # a grader fault: one sentence for the student, the traceback for instructors
    for cid, check in found.items():
        assert bool(check.trace) is (cid in TRACES), cid
        if cid in TRACES:
            assert TRACES[cid] in check.trace and "Traceback" not in check.message, cid
    # the evidence a check collected travels with its record
    passed, failed, hung = found["passes"], found["fails"], found["hangs"]
    assert [(e.label, e.sent, e.received) for e in passed.exchanges] == [("hello", b"hi", b"hi")]
    assert failed.reproduce == ("python echo_server.py",)
    assert hung.hang is Hang.BLOCKED and failed.hang is None
    assert isinstance(passed.duration_s, float) and passed.duration_s >= 0
    # an unplanned test is deselected, never run
    ran.assert_outcomes(passed=3, failed=5, skipped=1, errors=4, deselected=1)


def test_without_its_pipes_the_plugin_refuses_to_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CONFIG_FD_ENV, raising=False)
    monkeypatch.delenv(RESULTS_FD_ENV, raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_checks="def test_passes():\n    pass\n")
    ran = pytester.runpytest_inprocess("-p", "pytest_timeout", "-p", "grader.harness.plugin")
    assert ran.ret == pytest.ExitCode.USAGE_ERROR
    assert f"the grader harness needs {CONFIG_FD_ENV} and {RESULTS_FD_ENV}" in ran.stderr.str()


SHARED = """
import pathlib

import pytest


@pytest.fixture(scope="module")
def module_{n}():
    pathlib.Path("up_{n}").touch()
    yield


def test_{n}a(module_{n}):
    pass


def test_{n}b(module_{n}):
    pass
"""


@pytest.mark.parametrize("backwards", [False, True])
def test_a_check_claimed_by_the_other_harness_is_neither_run_nor_reported(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, backwards: bool
) -> None:
    """Harnesses side by side share the checks by claim files: one already claimed is
    skipped before its fixtures start and leaves no record, across module boundaries."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    for n in ("one", "two", "three"):
        pytester.makepyfile(**{f"test_{n}": SHARED.format(n=n)})
    claims = pytester.path / "claims"
    claims.mkdir()
    for taken in ("oneb", "twoa", "twob", "threea"):
        (claims / taken).touch()
    plan = ("onea", "oneb", "twoa", "twob", "threea", "threeb")
    config = replace(config_for(pytester.path, plan), claims=claims, backwards=backwards)
    pipes = Pipes(config, monkeypatch)
    ran = pytester.runpytest_inprocess(
        "-c", str(INI), "--rootdir", str(pytester.path), "-p", "pytest_timeout",
        "-p", "grader.harness.plugin",
    )  # fmt: skip
    records = pipes.records()
    reported = [r.check.check_id for r in records if r.check is not None]
    assert reported == (["threeb", "onea"] if backwards else ["onea", "threeb"])
    assert {r.check.outcome for r in records if r.check is not None} == {Outcome.PASSED}
    assert sorted(p.name for p in claims.iterdir()) == sorted(plan)
    assert sorted(p.name for p in pytester.path.glob("up_*")) == ["up_one", "up_three"]
    assert records[-1].session is not None and ran.ret == pytest.ExitCode.OK
