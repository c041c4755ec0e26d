"""What the probe finds and says where namespaces are forbidden (simulated: a fake bwrap
and unshare that fail as they do under Ubuntu's AppArmor restriction, since this machine
allows user namespaces), and the exact reason and fix for each cause. What a run and a
batch then do is in tests/e2e/test_restricted.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import UID_MAP, UNSHARE_UID_MAP, restricted_tools

from grader.sandbox import probe
from grader.sandbox.capabilities import Host, namespace_problem

NO_NS = (
    "bwrap: No permissions to create a new namespace, likely because the kernel does not "
    "allow non-privileged user namespaces."
)
UBUNTU = Host(root=False, apparmor_restrict="1")


def test_apparmor_is_named_with_the_sysctl_and_the_profile() -> None:
    said = namespace_problem("bubblewrap", said=UID_MAP, host=UBUNTU)
    assert said.startswith(f"bubblewrap cannot create namespaces here ({UID_MAP})")
    assert "AppArmor" in said and "Ubuntu 23.10" in said
    assert "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in said
    assert "AppArmor profiles" in said and said.endswith(".")
    # The uid-map failure is AppArmor's signature even where the sysctl cannot be read.
    assert "AppArmor" in namespace_problem("bubblewrap", said=UID_MAP, host=Host(root=False))


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
    said = namespace_problem("bubblewrap", said=NO_NS, host=host)
    assert expected in said, said
    assert "AppArmor" not in said


def test_the_probe_reports_the_restriction(tmp_path: Path) -> None:
    caps = probe(path=restricted_tools(tmp_path / "bin"), host=UBUNTU)
    assert not caps.sandbox and not caps.bwrap_works and not caps.netns
    assert caps.bwrap == str(tmp_path / "bin" / "bwrap")
    assert len(caps.problems) == 2
    assert UID_MAP in caps.problems[0] and UNSHARE_UID_MAP in caps.problems[1]
    assert all("kernel.apparmor_restrict_unprivileged_userns=0" in p for p in caps.problems)
