"""cgroup v2 delegation against a fake cgroup tree in tmp_path (this machine runs
cgroup v1): the grader's leaf, the jobs folder, what it leaves alone; and the fallback
without cgroups, a uid per job as root. The real launcher on the fake tree, and the
fallback against a real fork bomb, are in tests/e2e/test_limits.py.

The fake cannot refuse what the kernel refuses (a busy cgroup's subtree_control), so
those decisions are made from what the files say, which is what the code does too.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from support import CGROUP_SCOPE, fake_cgroup_tree

from grader.sandbox import cgroups
from grader.sandbox.capabilities import NOBODY, Capabilities
from grader.sandbox.policy import JOB_UID_BASE, JOB_UID_SPAN, policy_for

CAPS = Capabilities(
    bwrap="/usr/bin/bwrap",
    bwrap_works=True,
    netns=True,
    netns_command=(),
    cgroup_pids=None,
    cgroup_memory=None,
    is_root=True,
    problems=(),
)


def test_a_delegated_scope_gets_a_supervisor_leaf_and_a_jobs_folder(tmp_path: Path) -> None:
    mount, base, self_cgroup = fake_cgroup_tree(tmp_path)
    jobs, why = cgroups.delegated_v2(mount, self_cgroup=self_cgroup)
    assert jobs == base / "grader-jobs" and why == ""
    # The grader moved itself out (no process may stay where controllers are handed on).
    assert (base / "grader-supervisor" / "cgroup.procs").read_text() == str(os.getpid())
    # cpu too, where the scope offers it (the jobs folder of the fake offers nothing more)
    assert (base / "cgroup.subtree_control").read_text() == "+pids +memory +cpu"
    assert (jobs / "cgroup.subtree_control").read_text() == "+pids +memory"
    # A process started later inside the supervisor leaf (a worker, a second grade)
    # finds the same jobs folder without moving anything.
    (self_cgroup).write_text(f"0::{CGROUP_SCOPE}/grader-supervisor\n")
    (base / "cgroup.subtree_control").write_text("+pids +memory")
    again, _ = cgroups.delegated_v2(mount, self_cgroup=self_cgroup)
    assert again == jobs
    found = cgroups.find(mount, self_cgroup=self_cgroup)
    assert found.v2 == str(jobs) and found.pids_v1 is None


def test_a_shared_cgroup_is_left_alone(tmp_path: Path) -> None:
    mount, base, self_cgroup = fake_cgroup_tree(tmp_path, procs=f"1234\n{os.getpid()}\n")
    jobs, why = cgroups.delegated_v2(mount, self_cgroup=self_cgroup)
    assert jobs is None
    assert "shares its cgroup with 1 other processes" in why and "systemd-run" in why
    assert sorted(p.name for p in base.iterdir()) == [
        "cgroup.controllers",
        "cgroup.procs",
        "cgroup.subtree_control",
    ]


def test_no_v2_without_the_controllers_or_the_unified_hierarchy(tmp_path: Path) -> None:
    mount, base, self_cgroup = fake_cgroup_tree(tmp_path)
    (base / "cgroup.controllers").write_text("cpu io\n")
    assert (
        "does not offer the pids and memory"
        in cgroups.delegated_v2(mount, self_cgroup=self_cgroup)[1]
    )
    (mount / "cgroup.controllers").unlink()
    assert "unified hierarchy" in cgroups.delegated_v2(mount, self_cgroup=self_cgroup)[1]


def test_the_fallback_without_cgroups_gives_each_root_job_its_own_uid() -> None:
    caps = CAPS
    a = policy_for(caps, sandbox=True, python=sys.executable)
    b = policy_for(caps, sandbox=True, python=sys.executable)
    for p in (a, b):
        assert JOB_UID_BASE <= p.uid < JOB_UID_BASE + JOB_UID_SPAN
    assert a.uid != b.uid
    with_cgroup = policy_for(
        replace(caps, cgroup_v2="/sys/fs/cgroup/x/grader-jobs"), sandbox=True, python=sys.executable
    )
    assert with_cgroup.uid == NOBODY
    not_root = policy_for(replace(caps, is_root=False), sandbox=True, python=sys.executable)
    assert not_root.uid == NOBODY  # a user's sandbox maps nobody in its own namespace
