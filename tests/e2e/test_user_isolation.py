"""Isolation.USER for real, as the platforms' fallback runs it (a root grader, no
bubblewrap): the answer key out of reach of student code, nothing a check starts outliving
it even with neither namespaces nor cgroups (Gradescope's Docker), and the grader's files
made private where the kernel has no Landlock.

The grader runs from this checkout here (the editable install); tests/e2e/test_gradescope.py
does the same with the grader installed from its wheel into a venv. Needs root (student
code runs as uids of its own).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from support import EXAMPLES, ROOT, make_repo

import grader.run.policy
from grader.errors import InfrastructureError
from grader.model import Assignment, GradeResult, Isolation, Outcome, Status, Visibility
from grader.pipeline import grade
from grader.report.html import render_html
from grader.sandbox import Capabilities, Launcher, policy_for, private, probe, procfs
from grader.sandbox.warm import WarmPool
from grader.settings import Settings

# An interpreter every uid may run (this machine's own Python may live in root's home).
SYSTEM_PYTHON = "/usr/bin/python3"
pytestmark = [
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0, reason="Isolation.USER needs root"
    ),
    pytest.mark.skipif(not Path(SYSTEM_PYTHON).is_file(), reason="needs the system's python3"),
]

STUDENT = "nobody"  # the fallback's consent: a user every Debian has
USER = Settings(reveal=True, run_as=STUDENT, prefer_run_as=True, python=SYSTEM_PYTHON)
# What a hidden check sends (its input) and the hidden checks' ids: never in a student's view.
HIDDEN_INPUT = "thirty-two bytes: two chunks :-)"
MARKER = b"HOSTILE_DAEMON_LIVES"


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Capabilities]:
    """This machine, with some of its facilities taken away (as a container lacks them)."""

    def without(**gone: object) -> Capabilities:
        caps = replace(probe(), **gone)  # type: ignore[arg-type]
        monkeypatch.setattr(grader.run.policy, "_probed", lambda portable: caps)
        return caps

    return without


def graded(tmp_path: Path, name: str, assignment: Assignment, settings: Settings) -> GradeResult:
    repo = make_repo(tmp_path / name, EXAMPLES / name if name != "template" else None)
    if name == "template":
        for part in ("echo_server.py", "echo_client.py"):
            (repo / part).write_text((ROOT / "student_template" / part).read_text())
    result = grade(str(repo), assignment=assignment, settings=settings)
    assert result.status is Status.GRADED, result.problem
    assert result.run is not None and result.run.isolation is Isolation.USER
    return result


def points(result: GradeResult) -> tuple[float, float]:
    assert result.score is not None
    return result.score.points, result.score.extra_points


def daemons() -> list[int]:
    """Processes of the hostile daemon (it cleared its environment: no job marker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if MARKER in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_submission_that_runs_the_answer_key_scores_what_the_template_scores(
    tmp_path: Path, echo_assignment: Assignment, machine: Callable[..., Capabilities]
) -> None:
    """It searches the interpreter's prefixes, site-packages, /usr/local/lib, every path
    /proc shows of other processes, and walks /, for the grader's reference: found, it
    would score full marks."""
    caps = machine()
    assert caps.landlock, "this machine's kernel has Landlock; the fallback uses it"
    template = graded(tmp_path, "template", echo_assignment, USER)
    attack = graded(tmp_path, "hostile_runs_reference", echo_assignment, USER)
    assert points(attack) == points(template)
    said = "\n".join(o.head + o.tail for c in attack.run.checks for o in c.outputs)  # type: ignore[union-attr]
    assert "KEY not found" in said and "KEY /" not in said, said[:2000]


def test_the_reference_scores_full_marks(
    tmp_path: Path, echo_assignment: Assignment, machine: Callable[..., Capabilities]
) -> None:
    """Every check's student processes find the submission's files, those started for a
    check while the one before it ran (in a network namespace of its own) included."""
    caps = machine()
    assert caps.netns, "the fallback as root gets network namespaces, and warm processes"
    repo = make_repo(tmp_path / "reference", ROOT / "reference")
    result = grade(str(repo), assignment=echo_assignment, settings=USER)
    assert result.run is not None and result.run.isolation is Isolation.USER
    assert result.score is not None
    assert result.score.points == result.score.max_points, result.problem


def test_the_student_view_never_shows_a_hidden_checks_input(
    tmp_path: Path, echo_assignment: Assignment, machine: Callable[..., Capabilities]
) -> None:
    """The hostile client prints all it can learn about the checks, and every message it
    was ever given (kept in files across checks), into the output a visible check shows."""
    machine()
    result = graded(
        tmp_path, "hostile_runs_reference", echo_assignment, replace(USER, reveal=False)
    )
    page = render_html(result, assignment=echo_assignment, reveal=False)
    assert "INTEL" in page  # its output is shown, for the visible checks
    hidden = [c.id for c in echo_assignment.checks if c.visibility is not Visibility.VISIBLE]
    assert hidden and not [cid for cid in hidden if cid in page]
    assert HIDDEN_INPUT not in page


def test_nothing_a_check_starts_survives_it_without_namespaces_or_cgroups(
    tmp_path: Path, echo_assignment: Assignment, machine: Callable[..., Capabilities]
) -> None:
    """Gradescope's Docker fallback: a daemon with an empty environment, double-forked and
    setsid(), takes the port the grader's own servers need. Killed after its check with
    every process of the job's uid, it changes no verdict: the submission scores what
    the same code without the daemon scores, and no check is the grader's fault."""
    machine(netns=False, cgroup_pids=None, cgroup_memory=None, cgroup_v2=None, cgroup_cpu=None)
    honest = graded(tmp_path, "server_drops_last_partial_chunk", echo_assignment, USER)
    hostile = graded(tmp_path, "hostile_daemon_holds_port", echo_assignment, USER)
    assert hostile.run is not None
    faults = [c.check_id for c in hostile.run.checks if c.outcome is Outcome.ERROR]
    assert not faults, faults
    assert points(hostile) == points(honest)
    assert hostile.run.escaped > 0  # there were daemons, and they were killed
    assert not daemons()


def test_a_killed_check_leaves_no_process_of_its_uid(tmp_path: Path) -> None:
    """Whatever its session, environment or parent: a process of the job's uid that
    made itself undumpable (its /proc entry then belongs to root) is found and killed."""
    caps = replace(probe(), bwrap_works=False)
    policy = policy_for(caps, sandbox=True, python=SYSTEM_PYTHON, run_as=STUDENT)
    launcher = Launcher(policy, tmp_path)
    code = (
        "import ctypes, os, sys, time\n"
        "ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)\n"  # PR_SET_DUMPABLE 0
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        code = 'import time; time.sleep(60)'\n"
        "        os.execve(sys.executable, [sys.executable, '-c', code], {})\n"
        "    os._exit(0)\n"
        "time.sleep(60)\n"
    )
    launcher.spawn(["-c", code], name="your server")
    uid = policy.dedicated_uid
    assert uid is not None
    deadline = time.monotonic() + 5
    while len(procfs.processes_of(uid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(procfs.processes_of(uid)) >= 2
    try:
        escaped = launcher.end_check()
        assert escaped  # the grandchild had left its tree
        assert not procfs.processes_of(uid)
    finally:
        launcher.close()


def test_without_landlock_the_graders_files_are_made_private(tmp_path: Path) -> None:
    """Without Landlock, file permissions are all that keeps student code out: the
    grader's own files (here a stand-in install that anyone could read) lose every right
    of other users, and the student's uid cannot read them."""
    where = Path(tempfile.mkdtemp(prefix="grader-install-", dir="/tmp"))  # reachable by all
    try:
        install = where / "site-packages" / "grader"
        (install / "_bundled" / "reference").mkdir(parents=True)
        key = install / "_bundled" / "reference" / "echo_server.py"
        key.write_text("ANSWER KEY\n")
        for folder in (where, where / "site-packages", install, install / "_bundled"):
            folder.chmod(0o755)
        assert private.reachable_by_others(str(key))
        caps = replace(probe(), bwrap_works=False, landlock=0)
        policy = policy_for(caps, sandbox=True, python=SYSTEM_PYTHON, run_as=STUDENT)
        policy = replace(policy, hidden=(str(install),))
        launcher = Launcher(policy, tmp_path)
        try:
            assert not stat.S_IMODE(install.stat().st_mode) & 0o007
            proc = launcher.spawn(["-c", f"print(open({str(key)!r}).read())"], name="snoop")
            proc.wait(10)
            proc.stdout.join(5)  # its output is all in once the pipes close, not at its exit
            proc.stderr.join(5)
            assert "ANSWER KEY" not in proc.stdout.text()
            assert "Permission denied" in proc.stderr.text()
        finally:
            launcher.close()
    finally:
        shutil.rmtree(where)


def test_without_landlock_files_that_cannot_be_made_private_refuse_the_run(
    tmp_path: Path,
) -> None:
    caps = replace(probe(), bwrap_works=False, landlock=0)
    policy = policy_for(caps, sandbox=True, python=SYSTEM_PYTHON, run_as=STUDENT)
    with pytest.raises(InfrastructureError, match="could read the grader's files at /proc/sys"):
        Launcher(replace(policy, hidden=("/proc/sys",)), tmp_path)


def test_a_process_started_before_a_check_ends_runs_in_the_fresh_copy(tmp_path: Path) -> None:
    """Warm processes for the next check are started while a check runs (warm.py), in the
    job's copy of the submission, under Landlock rules made for its folders; the end of
    the check makes that copy afresh and spares them. They then run the submission's files
    and may write beside them and in their temporary folder, like a process started cold."""
    (tmp_path / "hello.py").write_text(
        "import os, tempfile\n"
        "open('written', 'w').write('here')\n"
        "with tempfile.NamedTemporaryFile(dir=os.environ['TMPDIR']) as f:\n"
        "    f.write(b'scratch')\n"
        "print(open('hello.py').read().count('tempfile'), open('written').read())\n"
    )
    caps = replace(probe(), bwrap_works=False)
    policy = policy_for(caps, sandbox=True, python=SYSTEM_PYTHON, run_as=STUDENT)
    launcher = Launcher(policy, tmp_path)
    launcher.warm = WarmPool(launcher)
    try:
        launcher.spawn(["-c", "open('left', 'w').write('by the check before')"], name="before")
        launcher.warm.start()
        launcher.end_check()
        warm = launcher.warm.take()
        assert warm is not None
        proc = warm.go(["hello.py"], name="your program")
        os.close(warm.stdin_w)
        assert proc.wait(10) == 0, proc.stderr.text()
        proc.stdout.join(5)
        assert proc.stdout.text() == "3 here\n"
        assert not (Path(launcher.workdir) / "left").exists()
    finally:
        launcher.close()
