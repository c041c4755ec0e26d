"""grader.assignment finds the bundled assignments, reference and template: in the
checkout (and editable installs) at the repository's top level; an installed wheel's
copy is exercised in tests/e2e/test_packaging.py."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from support import ROOT

from grader import assignment
from grader.errors import AssignmentError


def test_a_checkout_finds_the_top_level_folders() -> None:
    assert assignment.bundled_root() == ROOT
    assert assignment.ASSIGNMENTS_DIR == ROOT / "assignments"
    spec = assignment.load()
    assert spec.reference_dir == ROOT / "reference"
    assert spec.template_dir == ROOT / "student_template"


GUIDE = ROOT / "docs" / "new-assignment.md"


def guide_fields() -> dict[str, set[str]]:
    """The fields docs/new-assignment.md's tables give, by table (its `### [x]` headings)."""
    found: dict[str, set[str]] = {}
    table = None
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### `\[\[?(\w+)\]?\]`", line)
        if heading:
            table = heading.group(1)
            found[table] = set()
        elif line.startswith("## "):
            table = None
        elif table and (cell := re.match(r"^\| `(\w+)` \|", line)):
            found[table].add(cell.group(1))
    return found


def test_the_guide_gives_exactly_the_fields_the_loader_reads() -> None:
    assert guide_fields() == assignment.FIELDS


def test_the_default_is_the_one_marked_default() -> None:
    assert assignment.default_name() == "echo_sockets"
    assert set(assignment.bundled_names()) >= {"echo_sockets", "http_server"}
    assert assignment.load().name == "echo_sockets"


def test_a_second_assignment_keeps_everything_in_its_own_folder() -> None:
    spec = assignment.load("http_server")
    root = ROOT / "assignments" / "http_server"
    assert (spec.root, spec.reference_dir, spec.template_dir) == (
        root,
        root / "reference",
        root / "template",
    )
    (data,) = spec.data
    assert (data.name, data.source) == ("webroot", root / "template" / "webroot")
    assert spec.optional == () and spec.student_tests == ()
    assert [(f.role, f.name, f.hints) for f in spec.files] == [
        ("server", "http_server.py", ("listen", "bind"))
    ]


def copy_of(tmp_path: Path, name: str = "http_server") -> Path:
    folder = tmp_path / name
    shutil.copytree(
        ROOT / "assignments" / name, folder, ignore=shutil.ignore_patterns("__pycache__")
    )
    return folder


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "points = 10\n",
            'points = 10\nvisiblity = "hidden"\n',
            "visiblity (not a field of [checks])",
        ),
        ("[[data]]", '[[datas]]\nname = "x"\n\n[[data]]', "[datas] (not a table"),
        ('source = "template/webroot"', 'source = "nowhere"', "its source must be a folder"),
        ('name = "webroot"', 'name = "../up"', "a plain folder name"),
        (
            'checks = "checks"',
            'checks = "checks"\noptional = ["telepathy"]',
            "'telepathy' is not one",
        ),
    ],
)
def test_a_wrong_field_is_refused_in_one_sentence(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    folder = copy_of(tmp_path)
    toml = folder / "assignment.toml"
    assert old in toml.read_text()
    toml.write_text(toml.read_text().replace(old, new, 1))
    with pytest.raises(AssignmentError) as caught:
        assignment.load(str(folder))
    assert said in str(caught.value) and "docs/new-assignment.md" in str(caught.value)


def test_a_data_folder_holds_regular_files_only(tmp_path: Path) -> None:
    folder = copy_of(tmp_path)
    (folder / "template" / "webroot" / "link").symlink_to("/etc/passwd")
    with pytest.raises(AssignmentError, match="regular files only"):
        assignment.load(str(folder))


def test_the_data_is_part_of_the_digest(tmp_path: Path) -> None:
    folder = copy_of(tmp_path)
    before = assignment.load(str(folder)).digest
    (folder / "template" / "webroot" / "hello.txt").write_text("changed\n")
    assert assignment.load(str(folder)).digest != before
