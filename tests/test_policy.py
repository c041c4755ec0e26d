"""What the probe finds and says: the exact reason and fix where namespaces are forbidden
(simulated with a fake bwrap and unshare that fail the way they do under Ubuntu's
AppArmor restriction, since this machine allows user namespaces), what a student's
single run and a batch then do, and which limits `--check-sandbox` says hold."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from support import ROOT, make_repo

import grader.run
from grader import cli
from grader.errors import ExitCode
from grader.sandbox import probe
from grader.sandbox.policy import SBIN_PATH, Capabilities, Host, limits_in_force, namespace_problem
from grader.settings import Limits

UID_MAP = "bwrap: setting up uid map: Permission denied"
UNSHARE = "unshare: write failed /proc/self/uid_map: Operation not permitted"
NO_NS = (
    "bwrap: No permissions to create a new namespace, likely because the kernel does not "
    "allow non-privileged user namespaces."
)
UBUNTU = Host(root=False, apparmor_restrict="1")


def test_apparmor_is_named_with_the_sysctl_and_the_profile() -> None:
    said = namespace_problem("bubblewrap", UID_MAP, UBUNTU)
    assert said.startswith(f"bubblewrap cannot create namespaces here ({UID_MAP})")
    assert "AppArmor" in said and "Ubuntu 23.10" in said
    assert "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in said
    assert "AppArmor profiles" in said and said.endswith(".")
    # The uid-map failure is AppArmor's signature even where the sysctl cannot be read.
    assert "AppArmor" in namespace_problem("bubblewrap", UID_MAP, Host(root=False))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (Host(root=False, userns_clone="0"), "sysctl -w kernel.unprivileged_userns_clone=1"),
        (Host(root=False, max_userns="0"), "sysctl -w user.max_user_namespaces=15000"),
        (Host(root=False, container=True), "--security-opt seccomp=unconfined"),
        (Host(root=True, container=True), "--cap-add SYS_ADMIN"),
        (Host(root=False), "allow unprivileged user namespaces, or run the grader as root"),
    ],
)
def test_each_other_cause_has_its_own_fix(host: Host, expected: str) -> None:
    said = namespace_problem("bubblewrap", NO_NS, host)
    assert expected in said, said
    assert "AppArmor" not in said


def fake_tools(folder: Path) -> str:
    """A bwrap and an unshare that fail as they do under the AppArmor restriction, found
    before the real ones."""
    folder.mkdir()
    for name, said in (("bwrap", UID_MAP), ("unshare", UNSHARE)):
        tool = folder / name
        tool.write_text(f"#!/bin/sh\necho '{said}' >&2\nexit 1\n")
        tool.chmod(0o755)
    return f"{folder}:{SBIN_PATH}"


def test_the_probe_reports_the_restriction(tmp_path: Path) -> None:
    caps = probe(path=fake_tools(tmp_path / "bin"), host=UBUNTU)
    assert not caps.sandbox and not caps.bwrap_works and not caps.netns
    assert caps.bwrap == str(tmp_path / "bin" / "bwrap")
    assert len(caps.problems) == 2
    assert UID_MAP in caps.problems[0] and UNSHARE in caps.problems[1]
    assert all("kernel.apparmor_restrict_unprivileged_userns=0" in p for p in caps.problems)


@pytest.fixture
def restricted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Capabilities:
    """This machine as a user on Ubuntu 24.04 would find it."""
    caps = probe(path=fake_tools(tmp_path / "bin"), host=UBUNTU)
    monkeypatch.setattr(grader.run, "_probed", lambda portable: caps)
    return caps


def test_check_sandbox_names_the_reason_and_the_fix(restricted: Capabilities) -> None:
    out = io.StringIO()
    assert cli.main(["--check-sandbox"], stdout=out) == ExitCode.INFRASTRUCTURE
    text = out.getvalue()
    assert "bubblewrap:          NO" in text and "network namespaces:  NO" in text
    assert "AppArmor restricts unprivileged user namespaces" in text
    assert "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in text
    assert "Student code would run UNSANDBOXED here" in text


def test_a_students_run_goes_on_unsandboxed_with_the_warning(
    restricted: Capabilities, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "ada", ROOT / "reference")
    out = tmp_path / "grades"
    code = cli.main([str(repo), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "WARNING: NOT SANDBOXED" in printed and "(100%)" in printed
    data = json.loads((out / "ada" / "results.json").read_text())
    assert data["extra_data"]["sandboxed"] is False


def test_a_batch_refuses_with_the_reason(
    restricted: Capabilities, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(f"identifier,repo\nada,{tmp_path}\n")
    code = cli.main(["--roster", str(roster), "--out", str(tmp_path / "g")])
    err = capsys.readouterr().err
    assert code == ExitCode.INFRASTRUCTURE
    assert len(err.strip().splitlines()) == 1, err
    assert "AppArmor" in err and "pass --no-sandbox" in err
    assert not (tmp_path / "g").exists()


def lines(caps: Capabilities, **kwargs: object) -> str:
    return "\n".join(limits_in_force(caps, Limits(), **kwargs))  # type: ignore[arg-type]


def test_check_sandbox_says_which_limits_hold() -> None:
    base = replace(
        probe(),
        bwrap="/usr/bin/bwrap",
        bwrap_works=True,
        netns=True,
        cgroup_pids=None,
        cgroup_memory=None,
        cgroup_v2=None,
        portable=False,
    )
    v2 = lines(replace(base, cgroup_v2="/sys/fs/cgroup/x/grader-jobs"))
    assert "at most 64 per submission (cgroup v2 pids.max)" in v2
    assert "512 MiB per submission (cgroup v2 memory.max)" in v2
    v1 = lines(replace(base, cgroup_pids="/sys/fs/cgroup/pids"))
    assert "(cgroup v1 pids)" in v1 and "memory: no limit per submission" in v1
    root = lines(replace(base, is_root=True))
    assert "per submission (RLIMIT_NPROC; each submission runs as a uid of its own)" in root
    user = lines(replace(base, is_root=False))
    assert "per sandboxed program (RLIMIT_NPROC in its own user namespace" in user
    assert "CPU 20 s" in user and "64 MiB writable folder" in user
    portable = lines(replace(base, portable=True, bwrap_works=False, netns=False))
    assert "hangs: end at each check's time limit" in portable
    assert "processes and memory: no limit" in portable
