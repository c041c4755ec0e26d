"""Feedback on every push: the Markdown summary (`grade . --markdown FILE`, golden file)
and the student template's GitHub Actions workflow (its steps, pinned)."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, ROOT

from grader import __version__
from grader.cli import main
from grader.errors import ExitCode
from grader.model import (
    Assignment,
    CheckResult,
    CheckSpec,
    Detail,
    Diagnosis,
    Exchange,
    FileSpec,
    GradeResult,
    Hang,
    Isolation,
    Outcome,
    RunResult,
    Status,
    Visibility,
)
from grader.report.markdown import SUMMARY_LIMIT, check_markdown, fence, summary_markdown
from grader.report.visibility import visible_rows
from grader.score import score

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "summary_student.md"
REGENERATE = "GRADER_REGENERATE_GOLDEN"
WORKFLOW = ROOT / "student_template" / ".github" / "workflows" / "grade.yml"
EVIL = "<script>alert(1)</script> [x](http://evil) ``` ![i](http://evil/i.png)"


def tiny() -> Assignment:
    return Assignment(
        name="tiny",
        title="Tiny echo",
        root=Path("/nowhere"),
        checks_dir=Path("/nowhere/checks"),
        files=(FileSpec("server", "echo_server.py"), FileSpec("client", "echo_client.py")),
        checks=(
            CheckSpec("echo_short", "Server echoes a short message", 5, "server"),
            CheckSpec("echo_long", "Server echoes a long message", 5, "server"),
            CheckSpec("client_16", "Client returns 16 bytes", 6, "client"),
            CheckSpec(
                "secret",
                "Server echoes the secret",
                4,
                "server",
                visibility=Visibility.HIDDEN,
                detail=Detail.ACTUAL_ONLY,
            ),
            CheckSpec("extra_select", "Optional: select server", 2, "extra", extra=True),
        ),
        default_port=10000,
        check_timeout_s=2.0,
        submission_budget_s=120.0,
        quiescence_s=0.5,
        version="1",
        digest="0123456789abcdef",
    )


def fixed(assignment: Assignment, *, reveal: bool = False, message: str = "") -> GradeResult:
    checks = (
        CheckResult("echo_short", Outcome.PASSED, 0.01),
        CheckResult(
            "echo_long",
            Outcome.FAILED,
            0.2,
            message=message or "your server closed the connection after 48 of 52 bytes.",
            exchanges=(Exchange("the long message", sent=b"Four score", received=b"Four"),),
            diagnoses=(
                Diagnosis(
                    "server_drops_last_chunk",
                    "your server dropped the last 4 bytes: send back every chunk.",
                    "echoed 48 of 52 bytes",
                ),
            ),
            reproduce=("python echo_server.py   # terminal 1", "grade-peer send 'Four score'"),
        ),
        CheckResult(
            "client_16",
            Outcome.TIMEOUT,
            0.9,
            message="client() did not return.",
            hang=Hang.BLOCKED,
            reproduce=("grade-peer serve", "python -c 'from echo_client import client'"),
        ),
        CheckResult("secret", Outcome.FAILED, 0.1, message="the secret failed"),
        CheckResult("extra_select", Outcome.PASSED, 0.3),
    )
    run = RunResult(checks, 1.0, Isolation.BWRAP)
    return GradeResult(
        "ada",
        Status.GRADED,
        assignment.name,
        assignment.digest,
        "golden",
        run=run,
        score=score(run, assignment=assignment, reveal=reveal),
    )


def test_the_summary_matches_the_golden_file() -> None:
    """Byte for byte; GRADER_REGENERATE_GOLDEN=1 rewrites it after an intended change."""
    text = summary_markdown(fixed(tiny()), assignment=tiny(), reveal=False)
    if os.environ.get(REGENERATE) == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
    assert "## Tiny echo: 5/16 points (31%)" in text
    assert "1 hidden checks worth 4 points not shown" in text
    assert "secret" not in text.lower()  # a hidden check, before the deadline
    assert "your server dropped the last 4 bytes" in text  # the one-line diagnosis
    assert "grade-peer send 'Four score'" in text  # its reproduce command
    assert "client() did not return." in text  # no diagnosis: the message


def test_student_text_cannot_make_markup_and_the_summary_stays_under_the_cap() -> None:
    spec = tiny()
    result = fixed(spec, message=EVIL)
    text = summary_markdown(replace(result, warnings=(EVIL,)), assignment=spec, reveal=False)
    assert "<script>" not in text and "![" not in text
    assert not re.search(r"(?<!\\)\]\(", text)  # no link: every ] escaped
    assert "\\<script\\>" in text
    block = fence("a ``` b ```` c")
    assert block.startswith("`````\n") and block.endswith("\n`````")
    full = summary_markdown(result, assignment=spec, reveal=False)
    limit = len(full.encode()) - 1
    small = summary_markdown(result, assignment=spec, reveal=False, limit=limit)
    assert len(small.encode()) <= limit
    assert "more failed checks are not shown here" in small
    assert SUMMARY_LIMIT < 1024 * 1024


def test_check_output_has_diagnosis_transcript_and_commands_fenced() -> None:
    spec = tiny()
    rows = {
        s.row.check_id: s
        for s in visible_rows(fixed(spec, message=EVIL), assignment=spec, reveal=False)
    }
    text = check_markdown(rows["echo_long"])
    assert "**Why:** your server dropped" in text
    assert "**Transcript:**\n\n```" in text and "sent:     Four score" in text
    assert "**See it on your machine:**" in text and "grade-peer send" in text
    assert "<script>" not in text


def test_grade_dot_writes_the_summary_for_a_real_submission(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    argv = [str(EXAMPLES / "client_stops_on_short_chunk"), "--out", str(tmp_path / "g")]
    assert main([*argv, "--markdown", str(summary)]) == ExitCode.OK
    text = summary.read_text()
    assert text.startswith("## Echo server and client over TCP sockets: ")
    assert "### What to fix" in text and "multiple of 16" in text
    assert "grade-peer serve" in text


# ---------------------------------------------------------------- the workflow


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return list(workflow["jobs"]["grade"]["steps"])


def test_the_workflow_runs_on_every_push_on_ubuntu_24_04(workflow: dict[Any, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert "push" in triggers
    assert workflow["jobs"]["grade"]["runs-on"] == "ubuntu-24.04"
    assert workflow["permissions"] == {"contents": "read"}


def test_the_workflow_pins_the_grader_and_lets_bubblewrap_work(workflow: dict[Any, Any]) -> None:
    runs = [s.get("run", "") for s in steps(workflow)]
    package = workflow["env"]["GRADER_PACKAGE"]
    assert re.search(rf"(@v|==){re.escape(__version__)}$", package), package
    assert not package.startswith("grader=="), "PyPI's 'grader' is another project"
    order = {
        what: next(i for i, r in enumerate(runs) if needle in r)
        for what, needle in {
            "bwrap": "apt-get install -y -qq bubblewrap",
            "sysctl": "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
            "install": 'pip install --quiet "$GRADER_PACKAGE"',
            "grade": '--markdown "$GITHUB_STEP_SUMMARY"',
        }.items()
    }
    assert order["bwrap"] < order["sysctl"] < order["grade"]
    assert order["install"] < order["grade"]
    assert "grade . " in runs[order["grade"]]


@pytest.mark.parametrize(
    ("exit_code", "threshold", "run_fails"),
    [(0, "", 0), (3, "", 0), (0, "60", 0), (1, "60", 1), (3, "60", 1), (4, "", 4)],
)
def test_the_grade_step_fails_the_run_only_for_a_threshold_or_a_broken_grader(
    workflow: dict[Any, Any], tmp_path: Path, exit_code: int, threshold: str, run_fails: int
) -> None:
    """The step's own script, with a stand-in `grade` that exits as told."""
    script = next(s["run"] for s in steps(workflow) if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    fake = tmp_path / "bin" / "grade"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\nexit {exit_code}\n')
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{fake.parent}:{os.environ['PATH']}",
        "GRADER_FAIL_UNDER": threshold,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "RUNNER_TEMP": str(tmp_path),
    }
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, check=False)
    assert done.returncode == run_fails
    args = (tmp_path / "args").read_text()
    assert f"--markdown {tmp_path}/summary.md" in args
    assert ("--fail-under" in args) == bool(threshold)
