"""Per-submission limits with the real sandbox: a job's cgroup v2 group on a fake tree in
tmp_path (this machine runs cgroup v1) made, limited, joined, swept and removed; and the
fallback without any cgroup (a uid per job as root) against a real fork bomb."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from support import EXAMPLES, fake_cgroup_tree, make_repo

import grader.run.policy
from grader.model import Assignment, Isolation, Outcome, Status
from grader.pipeline import grade
from grader.sandbox import Launcher, StudentProcess, cgroups, probe, survivors
from grader.sandbox.policy import JOB_UID_BASE, JOB_UID_SPAN, Policy, python_prefixes
from grader.settings import Limits, Settings

sandboxed = pytest.mark.skipif(not probe().sandbox, reason="this machine cannot sandbox")


def v2_policy(jobs: Path, isolation: Isolation = Isolation.BWRAP) -> Policy:
    return Policy(
        isolation=isolation,
        python=sys.executable,
        python_prefixes=python_prefixes(sys.executable),
        job_id="c0ffee123456",
        cgroup_v2=str(jobs),
    )


def max_processes(proc: StudentProcess) -> str:
    """RLIMIT_NPROC of the student's interpreter (inside bwrap's processes)."""
    deadline = time.monotonic() + 5
    while True:
        found = [p for p in proc.tree() if _comm(p).startswith("python")]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert found, proc.tree()
    for line in Path(f"/proc/{found[0]}/limits").read_text().splitlines():
        if line.startswith("Max processes"):
            return line.split()[2]
    raise AssertionError("no Max processes line")


@sandboxed
def test_a_job_group_is_made_limited_joined_swept_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mount, _, self_cgroup = fake_cgroup_tree(tmp_path)
    jobs, _ = cgroups.delegated_v2(mount, self_cgroup=self_cgroup)
    assert jobs is not None
    policy = v2_policy(jobs)
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "echo_server.py").write_text("import time\ntime.sleep(30)\n")

    launcher = Launcher(policy, staged)
    group = jobs / policy.job_id
    assert (group / "pids.max").read_text() == str(policy.limits.processes)
    assert (group / "memory.max").read_text() == str(policy.limits.memory_bytes)
    assert (group / "memory.swap.max").read_text() == "0"
    assert (group / "cpu.weight").read_text() == "100"  # a share like any other job's
    assert (group / "cpu.max").read_text() == "100000 100000"  # and at most one core
    (group / "cgroup.kill").write_text("")  # the kernel makes it with the group

    proc = launcher.spawn(["echo_server.py"], name="your server")
    deadline = time.monotonic() + 5
    procs = group / "cgroup.procs"  # a plain file here: the joining shell makes it
    while not (procs.exists() and procs.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.01)
    # It joined the job's group before it became bwrap (so before any student code ran),
    # and the pids controller, not RLIMIT_NPROC, bounds its processes.
    assert (group / "cgroup.procs").read_text().split() == [str(proc.pid)]
    assert proc.pid in survivors(policy)
    assert max_processes(proc) != str(policy.limits.processes)

    # A process of the job that escaped the kill of its tree is found through the group
    # and killed, and the whole group is killed at once (cgroup.kill).
    stray = subprocess.Popen(["sleep", "30"], start_new_session=True)
    (group / "cgroup.procs").write_text(f"{stray.pid}\n")
    monkeypatch.setattr(cgroups, "remove", shutil.rmtree)  # cgroupfs: files go with rmdir
    try:
        escaped = launcher.close()
    finally:
        stray.kill()
    assert escaped == [stray.pid]
    assert stray.wait(5) == -9
    assert not proc.alive()
    assert not group.exists()


@sandboxed
@pytest.mark.skipif(os.geteuid() != 0, reason="the per-job uid is root's fallback")
def test_without_cgroups_a_fork_bomb_is_bounded_per_job_and_its_neighbour_unharmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, echo_assignment: Assignment
) -> None:
    real = grader.run.capabilities()
    bare = replace(real, cgroup_pids=None, cgroup_memory=None, cgroup_v2=None)
    monkeypatch.setattr(grader.run.policy, "capabilities", lambda portable=None: bare)
    bomb = make_repo(tmp_path / "bomb", EXAMPLES / "hostile_fork_bomb")
    good = make_repo(tmp_path / "good", EXAMPLES / "passes_all_legacy")
    settings = Settings(reveal=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        bombed, fine = pool.map(
            lambda repo: grade(str(repo), assignment=echo_assignment, settings=settings),
            [bomb, good],
        )
    assert fine.status is Status.GRADED and fine.score is not None
    assert fine.score.percent == 100, [
        (c.check_id, c.message) for c in fine.run.checks if c.outcome is not Outcome.PASSED
    ]
    assert bombed.status is Status.GRADED and bombed.score is not None
    assert bombed.score.percent < 100
    assert bombed.run is not None and bombed.run.sandboxed
    assert not bombed.run.timed_out
    left = [
        p.name
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _uid(p) in range(JOB_UID_BASE, JOB_UID_BASE + JOB_UID_SPAN)
    ]
    assert not left, left


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _uid(proc: Path) -> int:
    try:
        return proc.stat().st_uid
    except OSError:
        return -1


@sandboxed
@pytest.mark.skipif(os.geteuid() != 0, reason="the per-job uid is root's fallback")
def test_the_student_runs_as_the_jobs_uid_under_its_process_limit(tmp_path: Path) -> None:
    caps = replace(probe(), cgroup_pids=None, cgroup_memory=None, cgroup_v2=None)
    from grader.sandbox import policy_for

    policy = policy_for(caps, sandbox=True, python=sys.executable, limits=Limits(processes=17))
    launcher = Launcher(policy, tmp_path)
    proc = launcher.spawn(
        ["-c", "import os, time; print(os.getuid(), flush=True); time.sleep(30)"], name="uid"
    )
    try:
        deadline = time.monotonic() + 5
        while not proc.stdout.text().strip() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.stdout.text().split() == [str(policy.uid)]
        assert max_processes(proc) == "17"
    finally:
        launcher.close()


@sandboxed
@pytest.mark.skipif(not probe().cgroup_cpu, reason="needs a writable cgroup v1 cpu hierarchy")
def test_a_job_gets_a_share_and_a_quota_of_the_cpu(tmp_path: Path) -> None:
    """Its student processes join a cpu group of the job's own: one entity of the
    scheduler with the same weight as any other, at most Limits.cpu_cores of CPU time."""
    from grader.sandbox import policy_for

    policy = policy_for(probe(), sandbox=True, python=sys.executable)
    launcher = Launcher(policy, tmp_path)
    group = Path(policy.cgroup_cpu or "") / f"grader-{policy.job_id}"
    proc = launcher.spawn(["-c", "import time; time.sleep(30)"], name="your server")
    try:
        deadline = time.monotonic() + 5
        while str(proc.pid) not in (group / "cgroup.procs").read_text().split():
            assert time.monotonic() < deadline, "it never joined the job's cpu group"
            time.sleep(0.01)
        assert (group / "cpu.shares").read_text().strip() == "1024"
        assert (group / "cpu.cfs_period_us").read_text().strip() == "100000"
        assert (group / "cpu.cfs_quota_us").read_text().strip() == "100000"
    finally:
        launcher.close()
    assert not group.exists()
