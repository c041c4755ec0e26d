"""Load an assignment folder: `assignment.toml` (files, rubric, limits) and its checks.

A second socket assignment is a second folder; nothing in `grader/` names echo_sockets
except the default.
"""

from __future__ import annotations

import ast
import hashlib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from grader.errors import AssignmentError
from grader.model import Assignment, CheckSpec, Detail, FileSpec, Visibility

DEFAULT_ASSIGNMENT = "echo_sockets"


def bundled_root() -> Path:
    """Where the bundled assignments, reference and template live: inside the installed
    package (grader/_bundled/, put there by the wheel build), else the repository's top
    level (a checkout, or an editable install). Both keep the same layout."""
    package = resources.files("grader")
    installed = Path(str(package)) / "_bundled"
    if (installed / "assignments").is_dir():
        return installed
    return Path(str(package)).resolve().parent


ASSIGNMENTS_DIR = bundled_root() / "assignments"


def find(name_or_path: str | None) -> Path:
    """Resolve --assignment: a folder path, or the name of a bundled assignment."""
    spec = name_or_path or DEFAULT_ASSIGNMENT
    path = Path(spec)
    if (path / "assignment.toml").is_file():
        return path.resolve()
    bundled = ASSIGNMENTS_DIR / spec
    if (bundled / "assignment.toml").is_file():
        return bundled
    raise AssignmentError(
        f"no assignment '{spec}': give a folder that holds an assignment.toml, or one "
        f"of the bundled names ({', '.join(_bundled()) or 'none'})."
    )


def _bundled() -> list[str]:
    return sorted(p.parent.name for p in ASSIGNMENTS_DIR.glob("*/assignment.toml"))


def load(name_or_path: str | None = None) -> Assignment:
    root = find(name_or_path)
    toml_path = root / "assignment.toml"
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{toml_path}: {exc}; fix the TOML syntax.") from exc
    try:
        return _build(root, data)
    except (KeyError, TypeError, ValueError) as exc:
        raise AssignmentError(
            f"{toml_path}: {exc!s} is missing or wrong; compare with assignments/"
            f"{DEFAULT_ASSIGNMENT}/assignment.toml."
        ) from exc


def _build(root: Path, data: dict[str, Any]) -> Assignment:
    meta = data["assignment"]
    checks_dir = (root / meta.get("checks", "checks")).resolve()
    files = tuple(
        FileSpec(f["role"], f["name"], tuple(f.get("patterns", ()))) for f in data["files"]
    )
    default_timeout = float(meta.get("check_timeout_s", 2.0))
    checks = tuple(
        CheckSpec(
            id=c["id"],
            title=c["title"],
            points=float(c["points"]),
            category=c.get("category", ""),
            visibility=Visibility(c.get("visibility", "visible")),
            detail=Detail(c.get("detail", "full")),
            needs=tuple(c.get("needs", ())),
            timeout_s=float(c.get("timeout_s", default_timeout)),
            advice=bool(c.get("advice", False)),
            extra=bool(c.get("extra", False)),
        )
        for c in data["checks"]
    )
    ids = [c.id for c in checks]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise AssignmentError(f"{root}/assignment.toml: check id {dupes[0]!r} appears twice.")
    defined = _test_functions(checks_dir)
    missing = [i for i in ids if i not in defined]
    if missing:
        raise AssignmentError(
            f"{root}/assignment.toml: check {missing[0]!r} has no test_{missing[0]} in "
            f"{checks_dir}; add the test or remove the rubric line."
        )
    ref = meta.get("reference")
    template = meta.get("template")
    return Assignment(
        name=meta["name"],
        title=meta.get("title", meta["name"]),
        root=root,
        checks_dir=checks_dir,
        files=files,
        checks=checks,
        default_port=int(meta.get("default_port", 10000)),
        check_timeout_s=default_timeout,
        submission_budget_s=float(meta.get("submission_budget_s", 120.0)),
        quiescence_s=float(meta.get("quiescence_s", 0.5)),
        version=str(meta.get("version", "1")),
        digest=digest(root, (root / ref).resolve() if ref else None),
        reference_dir=(root / ref).resolve() if ref else None,
        template_dir=(root / template).resolve() if template else None,
        harness_groups=_groups(meta.get("harness_groups", ()), checks_dir),
    )


def _groups(raw: object, checks_dir: Path) -> tuple[tuple[str, ...], ...]:
    """Check files that share a harness; files listed nowhere share one more."""
    if not isinstance(raw, list | tuple):
        raise ValueError("harness_groups")
    groups = [tuple(str(f) for f in group) for group in raw]
    every = sorted(p.name for p in checks_dir.glob("test_*.py"))
    listed = [f for group in groups for f in group]
    unknown = sorted(set(listed) - set(every)) or sorted({f for f in listed if listed.count(f) > 1})
    if unknown:
        raise AssignmentError(
            f"{checks_dir.parent}/assignment.toml: harness_groups names {unknown[0]!r}, which "
            f"is not a check file or is listed twice; list each of {', '.join(every)} once."
        )
    rest = tuple(f for f in every if f not in listed)
    return tuple(groups) + ((rest,) if groups and rest else ())


def _test_functions(checks_dir: Path) -> set[str]:
    names: set[str] = set()
    for path in sorted(checks_dir.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names.update(
            node.name.removeprefix("test_")
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        )
    return names


def digest(*roots: Path | None) -> str:
    """A digest of everything that decides a verdict: the rubric, checks and reference."""
    h = hashlib.sha256()
    for root in roots:
        if root is None:
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                name = str(path.relative_to(root)).encode()
                h.update(name + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]
