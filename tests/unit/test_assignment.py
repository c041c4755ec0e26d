"""grader.assignment finds the bundled assignments, reference and template: in the
checkout (and editable installs) at the repository's top level; an installed wheel's
copy is exercised in tests/e2e/test_packaging.py."""

from __future__ import annotations

from support import ROOT

from grader import assignment


def test_a_checkout_finds_the_top_level_folders() -> None:
    assert assignment.bundled_root() == ROOT
    assert assignment.ASSIGNMENTS_DIR == ROOT / "assignments"
    spec = assignment.load()
    assert spec.reference_dir == ROOT / "reference"
    assert spec.template_dir == ROOT / "student_template"
