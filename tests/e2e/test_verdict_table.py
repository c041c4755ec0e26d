"""Every example keeps its verdict table: status, each check's outcome (and hang) with its
sorted diagnosis codes, and the points, compared with tests/golden/verdicts.json.

The table is what a change to how checks are scheduled or processes are started must not
move (issue 13). It grades nothing the session has already graded: the `gradings` cache
(tests/conftest.py) holds test_pipeline's and test_optional's examples and test_sandbox's
hostile ones (graded there next to a correct neighbour), and this module runs after them.
In the whole suite only no_python_files and the intake examples are graded here, the
latter built as test_intake builds them (links, a named pipe, names that are not UTF-8,
...), since test_intake grades them through the CLI in a subprocess. Run alone, this module
grades every example itself (about 3.5 minutes on 2 cores).

A value an example does not give every time (timing under load, a race, a check's random
input) is marked in the golden file as `{"why": "...", "unstable": [one, other]}`: any of
those passes. `GRADER_REGENERATE_GOLDEN=1` rewrites the file from the current verdicts and
keeps those marks (a value not seen before joins the allowed ones).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, EXAMPLES_HTTP, ROOT, make_repo

from grader.model import Assignment, GradeResult
from grader.pipeline import grade
from grader.sandbox import probe
from grader.settings import Settings
from grader.snapshot import remove_tree

from . import test_intake as intake

pytestmark = pytest.mark.skipif(
    not probe().sandbox, reason="verdicts are recorded sandboxed; this machine cannot sandbox"
)

GOLDEN = ROOT / "tests" / "golden" / "verdicts.json"
REGENERATE = "GRADER_REGENERATE_GOLDEN"  # set to 1 to rewrite the golden file
ABOUT = (
    "Each example's verdict table (tests/e2e/test_verdict_table.py): status, points, extra "
    "points, and per check its outcome (and hang) with sorted diagnosis codes, graded with "
    "Settings(reveal=True). {'why': ..., 'unstable': [...]} lists the verdicts an example "
    "gives from run to run: any of them passes. Rewrite with GRADER_REGENERATE_GOLDEN=1."
)
Verdicts = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """Another assignment's golden table: its examples, its file, and the session fixture
    that grades one of its examples by name (tests/conftest.py)."""

    examples: Path
    golden: Path
    graded: str


# echo_sockets' table is GOLDEN (above) with tests/examples; every other assignment's:
TABLES = {
    "http_server": Table(
        EXAMPLES_HTTP, ROOT / "tests" / "golden" / "verdicts_http_server.json", "graded_http"
    ),
}


# ---------------------------------------------------------------- the intake examples


def repo_config(tmp: Path) -> Path:
    """intake_repo_config committed with its .gitattributes, then armed (payload hangs)."""
    repo = make_repo(tmp / "ada", EXAMPLES / "intake_repo_config")
    (repo / "gitattributes").rename(repo / ".gitattributes")
    intake.commit_all(repo, "attributes")
    intake.hostile_config(repo, tmp)
    return repo


# example -> what test_intake makes of its folder (what cannot be committed in the example)
BUILT_BY: dict[str, Callable[[Path], Path]] = {
    "intake_analysis_bomb": intake.analysis_bomb,
    "intake_deep_tree": intake.deep_tree,
    "intake_git_elsewhere": lambda tmp: intake.git_elsewhere(tmp)[1],  # bob's folder
    "intake_links": intake.links,
    "intake_odd_names": intake.odd_names,
    "intake_repo_config": repo_config,
    "intake_special_files": intake.special_files,
}
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


@pytest.fixture
def verdict_of(
    graded: Callable[[str], GradeResult], echo_assignment: Assignment, tmp_path: Path
) -> Callable[[str], GradeResult]:
    """The session's grading of an example; an intake example is built and graded here."""

    def get(name: str) -> GradeResult:
        if name not in BUILT_BY:
            return graded(name)
        try:
            repo = BUILT_BY[name](tmp_path)
            return grade(str(repo), assignment=echo_assignment, settings=Settings(reveal=True))
        finally:
            if name == "intake_deep_tree":
                remove_tree(tmp_path / "trent")  # pytest's own clean-up would fail 1200 deep

    return get


# ---------------------------------------------------------------- the table


def number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == int(value) else round(value, 2)


def table(result: GradeResult) -> Verdicts:
    """What must not change: status, points, and each check's outcome, hang, diagnoses."""
    checks: Verdicts = {}
    for check in sorted(result.run.checks if result.run else (), key=lambda c: c.check_id):
        row: Verdicts = {"outcome": check.outcome.value}
        if check.hang is not None:
            row["hang"] = check.hang.value
        row["diagnoses"] = sorted(d.code for d in check.diagnoses)
        checks[check.check_id] = row
    return {
        "status": result.status.value,
        "points": number(result.score.points) if result.score else None,
        "extra_points": number(result.score.extra_points) if result.score else None,
        "checks": checks,
    }


def unstable(golden: Any) -> bool:
    return isinstance(golden, dict) and "unstable" in golden


def allowed(golden: Any) -> list[Any]:
    """The values a golden entry accepts: one, or the verdicts seen of an unstable one."""
    return list(golden["unstable"]) if unstable(golden) else [golden]


def show(value: Any) -> str:
    if isinstance(value, dict) and "outcome" in value:
        hang = f" ({value['hang']})" if "hang" in value else ""
        return f"{value['outcome']}{hang} [{', '.join(value['diagnoses'])}]"
    return json.dumps(value)


def differences(golden: Verdicts, got: Verdicts) -> list[str]:
    """One line per value that moved: `what: golden -> now`."""
    lines: list[str] = []
    pairs = [(k, golden.get(k), got.get(k)) for k in ("status", "points", "extra_points")]
    checks = sorted(set(golden.get("checks", {})) | set(got["checks"]))
    pairs += [(k, golden.get("checks", {}).get(k), got["checks"].get(k)) for k in checks]
    for key, was, now in pairs:
        if now not in allowed(was):
            before = " or ".join(show(v) for v in allowed(was)) if was is not None else "absent"
            lines.append(f"  {key}: {before} -> {show(now) if now is not None else 'absent'}")
    return lines


def merged(golden: Any, got: Any) -> Any:
    """Regenerating: the new value, except that an unstable mark stays (and grows)."""
    if not unstable(golden):
        return got
    if got in golden["unstable"]:
        return golden
    return {**golden, "unstable": [*golden["unstable"], got]}


def regenerated(golden: Verdicts | None, got: Verdicts) -> Verdicts:
    old = golden or {}
    new = {k: merged(old.get(k), got[k]) for k in ("status", "points", "extra_points")}
    new["checks"] = {k: merged(old.get("checks", {}).get(k), v) for k, v in got["checks"].items()}
    return new


# ---------------------------------------------------------------- the file


def load_golden(path: Path = GOLDEN) -> dict[str, Any]:
    if not path.exists():
        return {"about": ABOUT, "examples": {}}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def render(value: Any, indent: int = 0) -> str:
    """JSON with one line per check: small values inline, larger ones opened up."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or len(flat) + indent <= 96:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, list):
        items = [pad + render(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    items = [f"{pad}{json.dumps(k)}: {render(v, indent + 2)}" for k, v in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"


def save_golden(data: dict[str, Any], path: Path = GOLDEN) -> None:
    examples = dict(sorted(data["examples"].items()))
    path.write_text(render({"about": ABOUT, "examples": examples}) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_keeps_its_verdict_table(
    name: str, verdict_of: Callable[[str], GradeResult]
) -> None:
    got = table(verdict_of(name))
    data = load_golden()
    golden = data["examples"].get(name)
    if os.environ.get(REGENERATE) == "1":
        data["examples"][name] = regenerated(golden, got)
        save_golden(data)
        return
    assert golden is not None, f"{name} is not in {GOLDEN.name}; run with {REGENERATE}=1"
    changed = differences(golden, got)
    assert not changed, f"{name}: the verdict changed (golden -> now):\n" + "\n".join(changed)


def test_the_golden_file_holds_exactly_the_examples() -> None:
    assert sorted(load_golden()["examples"]) == EXAMPLE_NAMES


OTHER_EXAMPLES = [
    (assignment, p.name)
    for assignment, where in sorted(TABLES.items())
    for p in sorted(where.examples.iterdir())
    if p.is_dir()
]


@pytest.mark.parametrize(
    ("assignment", "name"), OTHER_EXAMPLES, ids=[f"{a}/{n}" for a, n in OTHER_EXAMPLES]
)
def test_every_example_of_every_assignment_keeps_its_verdict_table(
    assignment: str, name: str, request: pytest.FixtureRequest
) -> None:
    where = TABLES[assignment]
    graded: Callable[[str], GradeResult] = request.getfixturevalue(where.graded)
    got = table(graded(name))
    data = load_golden(where.golden)
    golden = data["examples"].get(name)
    if os.environ.get(REGENERATE) == "1":
        data["examples"][name] = regenerated(golden, got)
        save_golden(data, where.golden)
        return
    assert golden is not None, f"{name} is not in {where.golden.name}; run with {REGENERATE}=1"
    changed = differences(golden, got)
    assert not changed, f"{assignment}/{name}: the verdict changed (golden -> now):\n" + "\n".join(
        changed
    )


@pytest.mark.parametrize("assignment", sorted(TABLES))
def test_every_golden_file_holds_exactly_its_examples(assignment: str) -> None:
    where = TABLES[assignment]
    names = sorted(p.name for p in where.examples.iterdir() if p.is_dir())
    assert sorted(load_golden(where.golden)["examples"]) == names


def test_a_changed_verdict_reads_as_what_changed_from_what() -> None:
    passed: Verdicts = {"outcome": "passed", "diagnoses": []}
    failed: Verdicts = {"outcome": "failed", "diagnoses": ["x"]}
    hung: Verdicts = {"outcome": "timeout", "hang": "blocked", "diagnoses": ["y", "z"]}
    golden: Verdicts = {
        "status": "graded",
        "points": 95,
        "extra_points": 0,
        "checks": {"a": passed, "b": {"why": "a race", "unstable": [passed, failed]}},
    }
    assert differences(golden, {**golden, "checks": {"a": passed, "b": failed}}) == []
    moved = {**golden, "points": 90, "checks": {"a": hung}}
    assert differences(golden, moved) == [
        "  points: 95 -> 90",
        "  a: passed [] -> timeout (blocked) [y, z]",
        "  b: passed [] or failed [x] -> absent",
    ]
    # regenerating takes the new verdicts but keeps an unstable mark, widened if need be
    assert regenerated(golden, moved) == moved
    again = regenerated(golden, {**golden, "checks": {"a": passed, "b": hung}})
    assert again["checks"]["b"] == {"why": "a race", "unstable": [passed, failed, hung]}
