"""Load an assignment folder: `assignment.toml` (files, rubric, limits) and its checks.

A second socket assignment is a second folder (docs/new-assignment.md says what goes in
it); nothing in `grader/` names an assignment. Which bundled one `grade` uses without
`--assignment` is said by the assignments themselves (`default = true`).
"""

from __future__ import annotations

import ast
import hashlib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from grader.errors import AssignmentError
from grader.model import Assignment, CheckSpec, DataFolder, Detail, FileSpec, Visibility

OPTIONAL_TASKS = ("multi_server", "port_services")  # what the static look can search for
MAX_DATA_FILES = 2000  # per data folder: it is staged for every submission
MAX_DATA_BYTES = 32 << 20
GUIDE = "docs/new-assignment.md"


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
    """Resolve --assignment: a folder path, or the name of a bundled assignment (none:
    the bundled one whose assignment.toml says `default = true`)."""
    spec = name_or_path or default_name()
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


def bundled_names() -> tuple[str, ...]:
    """The names of the bundled assignments, for help texts and messages."""
    return tuple(_bundled())


def help_text() -> str:
    """What --assignment takes, naming the bundled assignments (for --help)."""
    names = ", ".join(bundled_names()) or "none"
    return f"a bundled assignment ({names}; default: the one marked default) or a folder"


def default_name() -> str:
    """The bundled assignment graded without --assignment: the only one, or the one whose
    assignment.toml says `default = true` under [assignment]."""
    names = _bundled()
    if len(names) == 1:
        return names[0]
    marked = [n for n in names if _marked_default(ASSIGNMENTS_DIR / n / "assignment.toml")]
    if len(marked) != 1:
        raise AssignmentError(
            f"{len(marked)} of the bundled assignments ({', '.join(names) or 'none'}) say "
            "`default = true`; pass --assignment NAME, or mark exactly one."
        )
    return marked[0]


def _marked_default(path: Path) -> bool:
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8")).get("assignment", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return isinstance(meta, dict) and meta.get("default") is True


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
            f"{toml_path}: {exc!s} is missing or wrong; see {GUIDE} for every field."
        ) from exc


# Every field assignment.toml may hold, by table (docs/new-assignment.md explains each);
# anything else is a typo, refused rather than silently ignored.
FIELDS = {
    "assignment": {
        "name", "title", "version", "default", "default_port", "check_timeout_s",
        "submission_budget_s", "quiescence_s", "checks", "harness_groups", "reference",
        "template", "optional", "student_tests",
    },
    "files": {"role", "name", "patterns", "hints", "port_env"},
    "data": {"name", "source"},
    "checks": {
        "id", "title", "category", "points", "visibility", "detail", "needs", "timeout_s",
        "advice", "extra",
    },
}  # fmt: skip


def _build(root: Path, data: dict[str, Any]) -> Assignment:
    _known_fields(data)
    meta = data["assignment"]
    checks_dir = (root / meta.get("checks", "checks")).resolve()
    default_timeout = float(meta.get("check_timeout_s", 2.0))
    checks = _checks(root, data["checks"], checks_dir=checks_dir, timeout_s=default_timeout)
    ref = meta.get("reference")
    template = meta.get("template")
    data_folders = _data(root, data.get("data", ()))
    return Assignment(
        name=meta["name"],
        title=meta.get("title", meta["name"]),
        root=root,
        checks_dir=checks_dir,
        files=_files(data["files"]),
        checks=checks,
        default_port=int(meta.get("default_port", 10000)),
        check_timeout_s=default_timeout,
        submission_budget_s=float(meta.get("submission_budget_s", 120.0)),
        quiescence_s=float(meta.get("quiescence_s", 0.5)),
        version=str(meta.get("version", "1")),
        digest=digest(
            root, (root / ref).resolve() if ref else None, *(d.source for d in data_folders)
        ),
        reference_dir=(root / ref).resolve() if ref else None,
        template_dir=(root / template).resolve() if template else None,
        harness_groups=_groups(meta.get("harness_groups", ()), checks_dir),
        data=data_folders,
        optional=_optional(meta.get("optional", ())),
        student_tests=_strings(meta.get("student_tests", ()), "student_tests"),
    )


def _known_fields(data: dict[str, Any]) -> None:
    """Refuse a table or field this loader does not know (a typo would be ignored)."""
    for table, value in data.items():
        if table not in FIELDS:
            raise ValueError(f"[{table}] (not a table of assignment.toml)")
        for entry in value if isinstance(value, list) else [value]:
            unknown = sorted(set(entry) - FIELDS[table]) if isinstance(entry, dict) else []
            if unknown:
                raise ValueError(f"{unknown[0]} (not a field of [{table}])")


def _files(raw: list[dict[str, Any]]) -> tuple[FileSpec, ...]:
    return tuple(
        FileSpec(
            f["role"],
            f["name"],
            _strings(f.get("patterns", ()), "patterns"),
            hints=_strings(f.get("hints", ()), "hints"),
            port_env=str(f.get("port_env", "")),
        )
        for f in raw
    )


def _checks(
    root: Path, raw: list[dict[str, Any]], *, checks_dir: Path, timeout_s: float
) -> tuple[CheckSpec, ...]:
    """The rubric, each check id once and each a test function in the checks folder."""
    checks = tuple(
        CheckSpec(
            id=c["id"],
            title=c["title"],
            points=float(c["points"]),
            category=c.get("category", ""),
            visibility=Visibility(c.get("visibility", "visible")),
            detail=Detail(c.get("detail", "full")),
            needs=tuple(c.get("needs", ())),
            timeout_s=float(c.get("timeout_s", timeout_s)),
            advice=bool(c.get("advice", False)),
            extra=bool(c.get("extra", False)),
        )
        for c in raw
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
    return checks


def _strings(raw: object, what: str) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple) or not all(isinstance(s, str) for s in raw):
        raise ValueError(what)
    return tuple(raw)


def _optional(raw: object) -> tuple[str, ...]:
    tasks = _strings(raw, "optional")
    unknown = [t for t in tasks if t not in OPTIONAL_TASKS]
    if unknown:
        raise ValueError(f"optional ({unknown[0]!r} is not one of {', '.join(OPTIONAL_TASKS)})")
    return tasks


def _data(root: Path, raw: object) -> tuple[DataFolder, ...]:
    """The [[data]] folders: each a real folder of the assignment, within the caps, under
    a plain name of its own (it is staged beside the graded files)."""
    if not isinstance(raw, list | tuple):
        raise ValueError("data")
    found: list[DataFolder] = []
    for entry in raw:
        name, source = str(entry["name"]), (root / str(entry["source"])).resolve()
        if not name or "/" in name or name.startswith(".") or name.endswith(".py"):
            raise ValueError(f"data name {name!r} (a plain folder name, not a .py file)")
        if not source.is_dir() or any(d.name == name for d in found):
            raise ValueError(f"data {name!r} (its source must be a folder, named once)")
        files = [p for p in source.rglob("*") if not p.is_dir()]
        if any(p.is_symlink() or not p.is_file() for p in files):
            raise ValueError(f"data {name!r} (regular files only, no links)")
        size = sum(p.stat().st_size for p in files)
        if len(files) > MAX_DATA_FILES or size > MAX_DATA_BYTES:
            raise ValueError(
                f"data {name!r} ({len(files)} files, {size >> 20} MiB: at most "
                f"{MAX_DATA_FILES} files and {MAX_DATA_BYTES >> 20} MiB)"
            )
        found.append(DataFolder(name, source))
    return tuple(found)


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
