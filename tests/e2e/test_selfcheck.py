"""Self-validation before a batch: the reference passes, faulty variants fail, or no one
is graded (exit 4, one sentence saying why the grader is not trustworthy here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import EXAMPLES, ROOT, make_repo

from grader import assignment as assignment_mod
from grader.batch import gradebook, selfcheck
from grader.cli import main
from grader.errors import AssignmentError, ExitCode, InfrastructureError
from grader.model import Assignment
from grader.settings import Settings

ECHO = ROOT / "assignments" / "echo_sockets"


def copy_assignment(tmp_path: Path, *, reference: Path, selfcheck_toml: str | None = None) -> Path:
    """The bundled assignment in a folder of its own, with its reference elsewhere."""
    folder = tmp_path / "assignment"
    shutil.copytree(ECHO, folder, ignore=shutil.ignore_patterns("__pycache__"))
    toml = (folder / "assignment.toml").read_text()
    toml = toml.replace('reference = "../../reference"', f'reference = "{reference}"')
    toml = toml.replace(
        'template = "../../student_template"', f'template = "{ROOT}/student_template"'
    )
    (folder / "assignment.toml").write_text(toml)
    if selfcheck_toml is not None:
        (folder / "selfcheck.toml").write_text(selfcheck_toml)
    return folder


def broken_reference(tmp_path: Path) -> Path:
    """The reference, but its server sends back one byte less of every chunk."""
    folder = tmp_path / "broken_reference"
    shutil.copytree(ROOT / "reference", folder)
    server = folder / "echo_server.py"
    server.write_text(server.read_text().replace("conn.sendall(data)", "conn.sendall(data[:-1])"))
    return folder


def roster(tmp_path: Path) -> Path:
    lines = ["identifier,repo"]
    for ident, example in (("ada", "passes_all_legacy"), ("bob", "client_stops_on_short_chunk")):
        lines.append(f"{ident},{make_repo(tmp_path / 'repos' / ident, EXAMPLES / example)}")
    (tmp_path / "roster.csv").write_text("\n".join(lines) + "\n")
    return tmp_path / "roster.csv"


def test_the_bundled_assignment_passes_its_selfcheck(echo_assignment: Assignment) -> None:
    passed = selfcheck.verify(echo_assignment, settings=Settings(require_sandbox=True), jobs=3)
    assert passed.variants == len(selfcheck.variants(echo_assignment)) >= 4


@pytest.mark.parametrize("name", [n for n in assignment_mod.bundled_names() if n != "echo_sockets"])
def test_every_other_bundled_assignment_passes_its_selfcheck(name: str) -> None:
    spec = assignment_mod.load(name)
    passed = selfcheck.verify(spec, settings=Settings(require_sandbox=True), jobs=3)
    assert passed.variants == len(selfcheck.variants(spec)) >= 4


def test_a_broken_reference_stops_the_batch_before_anyone_is_graded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_assignment(tmp_path, reference=broken_reference(tmp_path))
    out = tmp_path / "grades"
    argv = ["--roster", str(roster(tmp_path)), "--out", str(out), "--assignment", str(folder)]
    assert main(argv) == ExitCode.INFRASTRUCTURE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("grade: the grader is not trustworthy on this machine")
    assert "the reference solution scored" in err and "--no-selfcheck" in err
    assert not (out / gradebook.FILENAME).exists()
    assert not (out / "ada").exists() and not (out / "index.html").exists()
    # The instructor may still decide to grade: --no-selfcheck skips it.
    assert main([*argv, "--no-selfcheck"]) == ExitCode.OK
    assert (out / gradebook.FILENAME).exists()


def test_a_variant_the_checks_cannot_tell_from_the_reference_stops_the_batch(
    tmp_path: Path,
) -> None:
    harmless = """
[[variants]]
name = "only_a_comment_changed"
file = "echo_server.py"
replace = [["# Release the port", "# Free the port"]]
fail = ["server_short_message"]
"""
    folder = copy_assignment(tmp_path, reference=ROOT / "reference", selfcheck_toml=harmless)
    with pytest.raises(InfrastructureError) as caught:
        selfcheck.verify(assignment_mod.load(str(folder)), settings=Settings(), jobs=2)
    assert "only_a_comment_changed passed server_short_message, which it must fail" in str(
        caught.value
    )


def test_variants_must_match_the_reference_and_the_rubric(tmp_path: Path) -> None:
    stale = selfcheck.Variant("stale", "echo_server.py", (("no such text", "x"),), ("x",))
    shutil.copytree(ROOT / "reference", tmp_path / "ref")
    with pytest.raises(AssignmentError, match="variant 'stale' expects 'no such text' exactly"):
        stale.apply(tmp_path / "ref")
    unknown = '[[variants]]\nname = "v"\nfile = "f"\nreplace = []\nfail = ["nope"]\n'
    folder = copy_assignment(tmp_path, reference=ROOT / "reference", selfcheck_toml=unknown)
    with pytest.raises(AssignmentError, match="names no check 'nope'"):
        selfcheck.variants(assignment_mod.load(str(folder)))
