"""Where one `grade` command's wall time goes: its trace (grader/trace.py) turned into rows.

Pure: spans in, rows out, no clock and no processes (measure.py runs the command). The
top rows are consecutive stages of the grader process and add up to the wall time; the
indented rows under the checks happen inside it, in harnesses running side by side, so
they overlap one another and are not added up.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.stats import Spread, min_max, number, spread

STARTUP = "python start + imports (to cli main)"
CLI = "arguments, assignment (cli main to grade)"
INTAKE = "intake (grade to checks, minus preflight)"
PREFLIGHT = "preflight"
CHECKS = "checks, wall (harnesses)"
SCORING = "scoring, results (checks end to grade end)"
REPORT = "report rendering"
OTHER = "teardown / other (the remainder)"
WALL = "total wall"
CPU = "total CPU (user+sys, with waited-for children)"
STAGES = (STARTUP, CLI, INTAKE, PREFLIGHT, CHECKS, SCORING, REPORT, OTHER)

# Spans counted and summed (each one a student process start, a call, a drain thread).
GROUPS = {
    "student server start": "student server starts",
    "student runner start": "student runner starts",
    "student call": "student calls",
    "output handling (CPU)": "output handling, CPU",
}
# Spans the stages and harness rows read; any other name is shown as it comes.
STRUCTURE = {"cli main", "grade", "preflight", "checks (harnesses, wall)", "report"}
STRUCTURE |= {"harness spawned", "harness ready"}


@dataclass(frozen=True, slots=True)
class Span:
    """One line of a GRADER_TRACE file."""

    name: str
    start: float
    s: float
    pid: int

    @property
    def end(self) -> float:
        return self.start + self.s


@dataclass(frozen=True, slots=True)
class Harness:
    """One harness process of a run: when it started, was ready, and ran its last check."""

    index: int  # 1, 2, ... in the order the grader spawned them
    pid: int
    spawned: float
    ready: float
    finished: float  # the end of its last span
    checks_s: float  # its checks' own time, added up
    n_checks: int

    @property
    def start_s(self) -> float:
        return self.ready - self.spawned


@dataclass(frozen=True, slots=True)
class RunProfile:
    """One traced run, reduced: stages (None: span missing), harnesses, checks, groups."""

    stages: tuple[tuple[str, float | None], ...]
    harnesses: tuple[Harness, ...]
    checks: tuple[tuple[str, float, int], ...]  # check id, seconds, harness index (0: unknown)
    groups: tuple[tuple[str, int, float], ...]  # label, count, seconds added up
    checks_end: float | None
    wall_s: float
    cpu_s: float

    @property
    def critical(self) -> Harness | None:
        """The harness that finished last: the one the submission waited for."""
        return max(self.harnesses, key=lambda h: h.finished, default=None)


@dataclass(frozen=True, slots=True)
class Row:
    """One printed line: label, the figure over runs, a note; indented rows overlap."""

    label: str
    figure: Spread | None
    note: str = ""
    indent: int = 0


def parse_spans(text: str) -> list[Span]:
    """The spans of a trace file, in file order (a torn last line is skipped)."""
    spans = []
    for line in text.splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        spans.append(Span(str(d["span"]), float(d["start"]), float(d["s"]), int(d["pid"])))
    return spans


def _first(spans: Sequence[Span], name: str) -> Span | None:
    return next((s for s in spans if s.name == name), None)


def _stages(
    spans: Sequence[Span], *, launched: float, wall_s: float
) -> tuple[tuple[str, float | None], ...]:
    """The grader process's consecutive stages; the remainder is what no span explains."""
    cli, grade = _first(spans, "cli main"), _first(spans, "grade")
    checks, report = _first(spans, "checks (harnesses, wall)"), _first(spans, "report")
    preflight = [s for s in spans if s.name == "preflight"]
    intake = None
    if grade and checks:
        before = sum(p.s for p in preflight if grade.start <= p.start < checks.start)
        intake = checks.start - grade.start - before
    found: dict[str, float | None] = {
        STARTUP: cli.start - launched if cli else None,
        CLI: grade.start - cli.start if cli and grade else None,
        INTAKE: intake,
        PREFLIGHT: sum(p.s for p in preflight) if preflight else None,
        CHECKS: checks.s if checks else None,
        SCORING: grade.end - checks.end if grade and checks else None,
        REPORT: report.s if report else None,
    }
    found[OTHER] = wall_s - sum(v for v in found.values() if v is not None)
    return tuple(found.items())


def _harnesses(spans: Sequence[Span]) -> tuple[Harness, ...]:
    """Pair each spawn (grader side, in time order) with a ready (harness side, by pid:
    pids grow in spawn order); a harness ends with the last span its pid wrote."""
    spawned = sorted((s for s in spans if s.name == "harness spawned"), key=lambda s: s.start)
    ready = sorted((s for s in spans if s.name == "harness ready"), key=lambda s: s.pid)
    found = []
    for i, (sp, rd) in enumerate(zip(spawned, ready, strict=False), start=1):
        own = [s for s in spans if s.pid == rd.pid]
        checks = [s for s in own if s.name.startswith("check ")]
        finished = max(s.end for s in own)
        checks_s = sum(c.s for c in checks)
        found.append(Harness(i, rd.pid, sp.start, rd.start, finished, checks_s, len(checks)))
    return tuple(found)


def _groups(spans: Sequence[Span]) -> tuple[tuple[str, int, float], ...]:
    """Count and sum of the student-side spans, then of any span this bench does not know."""
    counts: Counter[str] = Counter()
    sums: dict[str, float] = {}
    for s in spans:
        if s.name in STRUCTURE or s.name.startswith("check "):
            continue
        counts[s.name] += 1
        sums[s.name] = sums.get(s.name, 0.0) + s.s
    names = [n for n in GROUPS if n in counts] + sorted(n for n in counts if n not in GROUPS)
    return tuple((GROUPS.get(n, n), counts[n], sums[n]) for n in names)


def profile_of(spans: Sequence[Span], *, launched: float, ended: float, cpu_s: float) -> RunProfile:
    """Reduce one run's spans; `launched` and `ended` bracket the command (monotonic)."""
    wall = ended - launched
    harnesses = _harnesses(spans)
    index = {h.pid: h.index for h in harnesses}
    checks = tuple(
        (s.name.removeprefix("check "), s.s, index.get(s.pid, 0))
        for s in sorted(spans, key=lambda s: s.start)
        if s.name.startswith("check ")
    )
    checks_span = _first(spans, "checks (harnesses, wall)")
    return RunProfile(
        stages=_stages(spans, launched=launched, wall_s=wall),
        harnesses=harnesses,
        checks=checks,
        groups=_groups(spans),
        checks_end=checks_span.end if checks_span else None,
        wall_s=wall,
        cpu_s=cpu_s,
    )


def _counted(counts: Iterable[int]) -> str:
    found = list(counts)
    low, high = min(found), max(found)
    return f"x{low}" if low == high else f"x{low}-{high}"


def _stage_rows(profiles: Sequence[RunProfile]) -> list[Row]:
    return [Row(label, spread(dict(p.stages).get(label) for p in profiles)) for label in STAGES]


def _harness_rows(profiles: Sequence[RunProfile]) -> list[Row]:
    count = max(len(p.harnesses) for p in profiles)
    last = profiles[-1]
    rows = []
    for i in range(1, count + 1):
        mine = [h for p in profiles for h in p.harnesses if h.index == i]
        pid = next((h.pid for h in last.harnesses if h.index == i), None)
        note = f"pid {pid} (last run)" if pid else ""
        label = f"harness {i} start (spawned to ready)"
        rows.append(Row(label, spread(h.start_s for h in mine), note, indent=1))
    return rows


def _check_rows(profiles: Sequence[RunProfile]) -> list[Row]:
    """One row per check id: by harness, then in the order the first run ran them; the
    note says which harness ran it (and its pid in the last run)."""
    order: dict[str, None] = {}
    for p in profiles:
        order |= {check: None for check, _, _ in p.checks}
    pids = {h.index: h.pid for h in profiles[-1].harnesses}
    rows = []
    for check in order:
        runs = [(s, h) for p in profiles for c, s, h in p.checks if c == check]
        where = sorted({h for _, h in runs})
        note = "harness " + ",".join(str(h) if h else "?" for h in where)
        if len(where) == 1 and where[0] in pids:
            note += f" (pid {pids[where[0]]})"
        rows.append((where[0], Row(f"check {check}", spread(s for s, _ in runs), note, indent=1)))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def _group_rows(profiles: Sequence[RunProfile]) -> list[Row]:
    order: dict[str, None] = {}
    for p in profiles:
        order |= {label: None for label, _, _ in p.groups}
    rows = []
    for label in order:
        runs = [(n, s) for p in profiles for g, n, s in p.groups if g == label]
        note = f"{_counted(n for n, _ in runs)}, added up"
        rows.append(Row(label, spread(s for _, s in runs), note, indent=1))
    return rows


def _critical_rows(profiles: Sequence[RunProfile]) -> list[Row]:
    """The harness the submission waited for, split into its start, its checks, the time
    between them (pytest, fixtures) and its exit after the last check."""
    last = [(p, p.critical) for p in profiles if p.critical is not None]
    if not last:
        return []
    which = Counter(h.index for _, h in last)
    index, times = which.most_common(1)[0]
    title = f"critical path: harness {index} finished last ({times}/{len(profiles)} runs)"
    after = [p.checks_end - h.finished if p.checks_end else None for p, h in last]
    return [
        Row(title, spread(h.finished - h.spawned for _, h in last), "its whole life", indent=1),
        Row("its start", spread(h.start_s for _, h in last), indent=2),
        Row(
            "its checks",
            spread(h.checks_s for _, h in last),
            _counted(h.n_checks for _, h in last),
            indent=2,
        ),
        Row(
            "between its checks",
            spread(h.finished - h.ready - h.checks_s for _, h in last),
            indent=2,
        ),
        Row("after its last check (exit, collection)", spread(after), indent=2),
    ]


def summarise(profiles: Sequence[RunProfile]) -> list[Row]:
    """The profile table's rows over several runs: each a median with its min-max."""
    stages = _stage_rows(profiles)
    at = STAGES.index(CHECKS) + 1
    inside = (
        _harness_rows(profiles)
        + _check_rows(profiles)
        + _group_rows(profiles)
        + _critical_rows(profiles)
    )
    totals = [
        Row(WALL, spread(p.wall_s for p in profiles)),
        Row(CPU, spread(p.cpu_s for p in profiles)),
    ]
    return stages[:at] + inside + stages[at:] + totals


def render(rows: Sequence[Row], *, title: str) -> str:
    """The rows as a fixed-width table (seconds), under a title line."""
    width = max(48, *(len(r.label) + 2 * r.indent for r in rows))
    lines = [title, f"{'':<{width}} {'median':>7}  {'min-max':<13} note"]
    for r in rows:
        label = "  " * r.indent + r.label
        median = number(r.figure.median if r.figure else None)
        lines.append(f"{label:<{width}} {median:>7}  {min_max(r.figure):<13} {r.note}".rstrip())
    return "\n".join(lines)
