"""`grade template`: the starting files for a student who never cloned the repository,
written into a new or empty folder, never over a file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from support import ROOT

from grader.cli import main
from grader.errors import ExitCode


def test_template_writes_the_starting_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["template", "mine"], stdout=out) == ExitCode.OK

    def files(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    assert files(tmp_path / "mine") == files(ROOT / "student_template")
    assert "grade mine" in out.getvalue()
    assert main(["template"], stdout=io.StringIO()) == ExitCode.OK  # ./echo_sockets
    assert (tmp_path / "echo_sockets" / "echo_server.py").is_file()


def test_template_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "echo_client.py").write_text("my work\n")
    assert main(["template", "mine"]) == ExitCode.USAGE
    assert "mine/echo_client.py already exists" in capsys.readouterr().err
    assert (tmp_path / "mine" / "echo_client.py").read_text() == "my work\n"
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["echo_client.py"]


def test_the_cli_dispatches_every_platform_command() -> None:
    """The CLI names the platform subcommands without importing their module."""
    from grader import cli
    from grader.cli import platforms

    assert cli.PLATFORM_COMMANDS == platforms.COMMANDS


def test_another_assignments_template_comes_with_its_data_and_says_how_to_grade_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["template", "web", "--assignment", "http_server"], stdout=out) == ExitCode.OK
    template = ROOT / "assignments" / "http_server" / "template"
    for rel in ("http_server.py", "README.md", "webroot/index.html", "webroot/images/logo.png"):
        assert (tmp_path / "web" / rel).read_bytes() == (template / rel).read_bytes()
    assert "then run `grade web --assignment http_server`" in out.getvalue()
    out = io.StringIO()
    assert main(["template", "echo"], stdout=out) == ExitCode.OK
    assert "then run `grade echo`." in out.getvalue()  # the default needs no option
