"""Where unprivileged user namespaces are forbidden (Ubuntu 23.10+'s AppArmor restriction,
simulated with a fake bwrap and unshare on this machine, which allows them): `grade
--check-sandbox` names the reason and the fix, a student's single run goes on
unsandboxed under the warning, and a batch refuses."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from support import ROOT, make_repo, restricted_tools

import grader.run.policy
from grader import cli
from grader.errors import ExitCode
from grader.sandbox import probe
from grader.sandbox.capabilities import Capabilities, Host

UBUNTU = Host(root=False, apparmor_restrict="1")


@pytest.fixture
def restricted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Capabilities:
    """This machine as a user on Ubuntu 24.04 would find it."""
    caps = probe(path=restricted_tools(tmp_path / "bin"), host=UBUNTU)
    monkeypatch.setattr(grader.run.policy, "_probed", lambda portable: caps)
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
