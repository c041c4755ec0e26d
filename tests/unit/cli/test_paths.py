"""Bad places to write and bad numbers are one sentence and exit 2, said before any
grading starts, never a traceback ("this is a bug in the grader", exit 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import EXAMPLES

from grader.cli import main, peer
from grader.errors import ExitCode

UNWRITABLE = Path("/proc/1")  # a folder even root cannot write in


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "a_file").write_text("x")
    roster = tmp_path / "roster.csv"
    roster.write_text("identifier,repo\nada,/nowhere\n")
    return {"file": tmp_path / "a_file", "folder": tmp_path, "roster": roster}


def one_sentence(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "bug in the grader" not in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("where", ["file", "below_a_file", "unwritable"])
@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_an_out_folder_that_cannot_be_written_is_one_sentence(
    where: str, batch: bool, places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = {
        "file": places["file"],
        "below_a_file": places["file"] / "grades",
        "unwritable": UNWRITABLE,
    }[where]
    what = ["--roster", str(places["roster"])] if batch else [str(EXAMPLES / "passes_all_send")]
    assert main([*what, "--out", str(out)]) == ExitCode.USAGE
    assert f"--out {out}" in one_sentence(capsys)


def test_other_files_to_write_are_checked_before_any_work(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(EXAMPLES / "passes_all_send")
    folder, below = str(places["folder"]), str(places["file"] / "x")
    for argv in (
        [source, "--out", folder, "--markdown", folder],
        [source, "--out", folder, "--markdown", str(UNWRITABLE / "s.md")],
        ["gradescope", "-o", folder],
        ["gradescope", "-o", f"{below}/autograder.zip"],
        ["template", below],
        ["export", "moodle", folder, "-o", folder],
    ):
        assert main(argv) == ExitCode.USAGE, argv
        one_sentence(capsys)
    assert sorted(p.name for p in places["folder"].iterdir()) == ["a_file", "roster.csv"]


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--port", "99999"],
        ["serve", "--port", "http"],
        ["send", "--port", "0", "hi"],
        ["send", "--pause", "-1", "hi"],
        ["send", "--pieces", "0", "hi"],
        ["serve", "--trickle", "-3"],
    ],
)
def test_grade_peer_refuses_a_bad_number_in_one_sentence(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert peer.main(argv) == ExitCode.USAGE
    assert one_sentence(capsys).startswith("grade-peer: argument --")


@pytest.mark.parametrize("name", ["../outside", "a/b", ".hidden", "x" * 101])
def test_a_name_that_is_not_one_folder_is_refused(
    name: str, places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = places["folder"] / "grades"
    argv = [str(EXAMPLES / "passes_all_send"), "--out", str(out), "--name", name]
    assert main(argv) == ExitCode.USAGE
    assert "--name" in one_sentence(capsys)
    assert not out.exists() and not (places["folder"] / "outside").exists()
