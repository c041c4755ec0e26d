"""stage.py: only the located files are staged from the submission, and the assignment's
data folders beside them, always the assignment's own copy."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from support import ROOT

from grader import assignment
from grader.locate import locate
from grader.model import OptionalWork
from grader.snapshot import read_tree
from grader.stage import stage

SERVER = "import socket\nsocket.socket().bind(('127.0.0.1', 10000)); listen = 1\n"


def test_the_data_folder_is_the_assignments_own_whatever_the_student_committed(
    tmp_path: Path,
) -> None:
    spec = assignment.load("http_server")
    submission = tmp_path / "submission"
    (submission / "webroot").mkdir(parents=True)
    (submission / "http_server.py").write_text(SERVER)
    (submission / "webroot" / "hello.txt").write_text("the student's own\n")
    (submission / "webroot" / "extra.txt").write_text("not ours\n")
    snapshot = read_tree(submission)
    staged = stage(
        snapshot,
        located=locate(snapshot, assignment=spec),
        dest=tmp_path / "staged",
        optional=OptionalWork(),
        data=spec.data,
    )
    ours = ROOT / "assignments" / "http_server" / "template" / "webroot"
    theirs = staged.folder / "webroot"
    assert sorted(p.relative_to(theirs) for p in theirs.rglob("*")) == sorted(
        p.relative_to(ours) for p in ours.rglob("*")
    )
    assert (theirs / "images" / "logo.png").read_bytes() == (
        ours / "images" / "logo.png"
    ).read_bytes()
    assert [(f.role, f.name, f.path) for f in staged.files] == [
        ("server", "http_server.py", PurePosixPath("http_server.py"))
    ]
    assert sorted(p.name for p in staged.folder.iterdir()) == ["http_server.py", "webroot"]


def test_without_data_nothing_but_the_graded_files_is_staged(tmp_path: Path) -> None:
    spec = assignment.load("http_server")
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "http_server.py").write_text(SERVER)
    (submission / "conftest.py").write_text("raise SystemExit\n")
    snapshot = read_tree(submission)
    staged = stage(
        snapshot,
        located=locate(snapshot, assignment=spec),
        dest=tmp_path / "staged",
        optional=OptionalWork(),
    )
    assert [p.name for p in staged.folder.iterdir()] == ["http_server.py"]
