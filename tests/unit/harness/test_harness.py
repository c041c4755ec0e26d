"""grader.harness is the public API an assignment's checks import, and
docs/new-assignment.md is its guide: every `grader.harness.X` the guide names exists,
every name the package exports is in the guide, and so is every fixture the harness
gives a check."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import grader.harness

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "new-assignment.md"
FIXTURES = ROOT / "grader" / "harness" / "fixtures"


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def named_in_guide() -> set[str]:
    """Every dotted name `grader.harness.X...` in the guide (code spans and code blocks)."""
    return {m.rstrip(".") for m in re.findall(r"\bgrader\.harness\.[A-Za-z_][\w.]*", guide())}


def test_every_api_name_the_guide_gives_exists() -> None:
    names = named_in_guide()
    assert len(names) > 30
    for dotted in sorted(names):
        parts = dotted.split(".")
        value: object = importlib.import_module("grader.harness")
        for part in parts[2:]:
            assert hasattr(value, part), f"the guide names {dotted}, which does not exist"
            value = getattr(value, part)


def test_the_guide_names_every_name_the_harness_exports() -> None:
    named = {dotted.split(".")[2] for dotted in named_in_guide()}
    missing = sorted(set(grader.harness.__all__) - named)
    assert not missing, f"docs/new-assignment.md does not mention grader.harness.{missing[0]}"


def fixtures() -> set[str]:
    """Every fixture the harness's fixtures package defines, in any of its modules."""
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.py"))]
    return {
        node.name
        for tree in trees
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("fixture" in ast.unparse(d) for d in node.decorator_list)
    }


def test_the_guide_lists_every_fixture_the_harness_gives() -> None:
    text = guide()
    found = fixtures()
    assert {"check", "student_server", "run_client", "run_config"} <= found
    for name in sorted(found):
        assert f"`{name}`" in text, f"docs/new-assignment.md does not list the fixture {name}"


def test_the_readme_links_the_guide() -> None:
    assert "docs/new-assignment.md" in (ROOT / "README.md").read_text(encoding="utf-8")
