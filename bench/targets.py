"""The speed targets (issue 22, after issue 13): each figure, its spread, the same
figure before (the baseline grader, measured in the same run on the same machine), the
target, and whether it is met.

Pure: figures in, decisions and a table out. A target is met when the figure's median is
on the right side of its limit; the spread is printed beside it so a reader can see how
far the noise of a busy machine reaches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bench.stats import Spread, number, spread


@dataclass(frozen=True, slots=True)
class Target:
    """One line of the targets table."""

    name: str
    figure: float | None  # the median (None: not measured in this mode)
    low: float | None
    high: float | None
    limit: float
    unit: str  # "s", "x", "MB", ...
    at_least: bool = False  # met when figure >= limit (a speed-up); else figure <= limit
    note: str = ""
    before: float | None = None  # the baseline's median, measured beside it

    @property
    def status(self) -> str:
        if self.figure is None:
            return "not measured"
        met = self.figure >= self.limit if self.at_least else self.figure <= self.limit
        return "met" if met else "missed"

    @property
    def target(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.limit:g}{_unit(self.unit)}"

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "figure": self.figure,
            "min": self.low,
            "max": self.high,
            "target": self.target,
            "status": self.status,
            "note": self.note,
            "before": self.before,
        }


def _runs(n: int) -> str:
    return "one run" if n == 1 else f"median of {n} runs"


def _digits(target: Target) -> int:
    """Three significant-ish digits: 0.512 s, 12.3 s, 8.25x, 67.3 MB."""
    if target.unit == "MB" or (target.figure or 0) >= 10:
        return 1
    return 2 if target.unit == "x" else 3


def _unit(unit: str) -> str:
    return unit if unit in ("x", "") else f" {unit}"


def from_spread(
    found: Spread | None, *, name: str, limit: float, unit: str, note: str = ""
) -> Target:
    """A target whose figure is the median of runs (<= limit is met)."""
    if found is None:
        return Target(name, None, None, None, limit, unit)
    note = f"{_runs(found.n)}; {note}" if note else _runs(found.n)
    return Target(name, found.median, found.low, found.high, limit, unit, note=note)


def speedup(name: str, *, naive: Spread | None, ours: Spread | None, limit: float) -> Target:
    """How many times faster than the naive way: the ratio of the medians, and as spread
    the widest ratios the runs allow (slowest naive over fastest ours, and back)."""
    if naive is None or ours is None:
        return Target(name, None, None, None, limit, "x", at_least=True)
    note = (
        f"naive {number(naive.median, digits=1)} s (median of {naive.n}) vs "
        f"ours {number(ours.median, digits=1)} s (median of {ours.n})"
    )
    return Target(
        name,
        naive.median / ours.median,
        naive.low / ours.high,
        naive.high / ours.low,
        limit,
        "x",
        at_least=True,
        note=note,
    )


def linearity(name: str, *, per_submission: Mapping[int, Spread], limit: float) -> Target:
    """Cost linear in N: seconds per submission at the largest N over those at the next
    size down (a fixed cost spread thinner only lowers it; work that grows faster than
    N raises it)."""
    sizes = sorted(per_submission)
    shown = ", ".join(
        f"N={n}: {number(per_submission[n].median)} ({_runs(per_submission[n].n)})" for n in sizes
    )
    note = f"s/submission {shown}"
    if len(sizes) < 2:
        return Target(name, None, None, None, limit, "x", note=note if sizes else "")
    big, base = per_submission[sizes[-1]], per_submission[sizes[-2]]
    return Target(
        name,
        big.median / base.median,
        big.low / base.high,
        big.high / base.low,
        limit,
        "x",
        note=f"{note}; N={sizes[-1]} over N={sizes[-2]}",
    )


def render(targets: Sequence[Target], *, title: str) -> str:
    """The targets as a fixed-width table, notes after the status."""
    width = max(len(t.name) for t in targets)
    head = f"{'figure':>8}  {'min-max':<15} {'before':>8}  {'target':<10} {'':<13} note"
    lines = [title, f"{'':<{width}} {head}"]
    for t in targets:
        digits = _digits(t)
        figure = number(t.figure, digits=digits)
        before = number(t.before, digits=digits)
        between = "-"
        if t.low is not None and t.high is not None:
            between = f"{number(t.low, digits=digits)}-{number(t.high, digits=digits)}"
        lines.append(
            f"{t.name:<{width}} {figure:>8}  {between:<15} {before:>8}  {t.target:<10} "
            f"{t.status:<13} {t.note}".rstrip()
        )
    return "\n".join(lines)


LINEAR_SLACK = 1.2  # per-submission cost at the largest N at most 20% above the next size
RSS_SLACK = 1.1  # "peak RSS unchanged": at most 10% above the baseline's
SINGLE = "one correct submission, whole `grade` command"
SINGLE_CPU = "its total CPU (user+sys, all processes)"
ROSTER_12 = "12-roster of four kinds vs naive serial (same run)"


def _median(values: Any) -> float | None:
    found = spread(values)
    return found.median if found else None


def collect(report: Mapping[str, Any]) -> list[Target]:
    """The targets from the report's raw runs (what was not measured says so)."""
    sizes = {r["n"]: r["runs"] for r in report.get("rosters", [])}
    before = {r["n"]: r.get("before", []) for r in report.get("rosters", [])}
    main_n = 40 if 40 in sizes else min(sizes, default=40)
    big_n = max(sizes, default=160)
    main, big = sizes.get(main_n, []), sizes.get(big_n, [])
    per_submission = {n: spread(r["wall_s"] / n for r in runs) for n, runs in sizes.items()}
    single, old = report.get("single", []), report.get("single_before", [])
    old_rss = _median(r["peak_rss_mb"] for r in before.get(big_n, []))
    return [
        replace(_single(single), before=_median(r["wall_s"] for r in old)),
        replace(
            from_spread(spread(r["cpu_s"] for r in single), name=SINGLE_CPU, limit=1.0, unit="s"),
            before=_median(r["cpu_s"] for r in old),
        ),
        _roster_12(report.get("roster_12")),
        replace(
            from_spread(
                spread(r["wall_s"] for r in main),
                name=f"{main_n} submissions (the bench's mix), batch wall",
                limit=15 * main_n / 40,
                unit="s",
            ),
            before=_median(r["wall_s"] for r in before.get(main_n, [])),
        ),
        replace(
            from_spread(
                spread(r["hang_tax"].get("median_extra_s") for r in main),
                name=f"hang tax per hung check (N={main_n})",
                limit=0.5,
                unit="s",
                note="median over each run's hung checks",
            ),
            before=_median(r["hang_tax"].get("median_extra_s") for r in before.get(main_n, [])),
        ),
        replace(
            from_spread(
                spread(r["peak_rss_mb"] for r in big),
                name=f"grader peak RSS at N={big_n}",
                limit=round(old_rss * RSS_SLACK, 1) if old_rss else 200,
                unit="MB",
                note="unchanged: at most 10% above before" if old_rss else "",
            ),
            before=old_rss,
        ),
        linearity(
            "cost linear in N (s/submission, largest N over next)",
            per_submission={n: s for n, s in per_submission.items() if s is not None},
            limit=LINEAR_SLACK,
        ),
    ]


def _single(runs: Sequence[Mapping[str, Any]]) -> Target:
    full = sum(1 for r in runs if r["code"] == 0 and r["score"] == r["max_score"])
    isolation = sorted({str(r.get("isolation")) for r in runs if r.get("sandboxed")}) or ["none"]
    note = f"untraced; full marks in {full}/{len(runs)}; sandbox {','.join(isolation)}; goal 0.5 s"
    found = spread(r["wall_s"] for r in runs)
    return from_spread(found, name=SINGLE, limit=1.0, unit="s", note=note if runs else "")


def _roster_12(data: Mapping[str, Any] | None) -> Target:
    if not data or not data["ours"] or not data["naive"]:
        return Target(ROSTER_12, None, None, None, 4, "x", at_least=True)
    share = len(data["naive_repos"]) / len(data["kinds"])
    naive = spread(r["wall_s"] for r in data["naive"])
    ours = spread(r["wall_s"] * share for r in data["ours"])
    found = speedup(ROSTER_12, naive=naive, ours=ours, limit=4)
    old = spread(r["wall_s"] * share for r in data.get("before", []))
    if old is not None and naive is not None:
        found = replace(found, before=naive.median / old.median)
    found = replace(found, note=f"{found.note}; goal 10x")
    if share < 1:
        note = f"naive on {len(data['naive_repos'])} of the 12 repos, ours scaled by that share"
        found = replace(found, note=f"{found.note}; {note}")
    failed = sum(1 for r in data["ours"] if r["code"] != 0)
    if failed:
        found = replace(found, note=f"{found.note}; batch exit code != 0 in {failed} runs")
    return found
