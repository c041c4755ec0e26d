"""Benchmark the grader as users meet it: `python -m bench [--profile | --small]`.

First the profile: the whole `grade` command on a correct submission, traced
(GRADER_TRACE), several runs, and where its wall time goes. Then issue 13's targets:
that command untraced; a 12-repo roster of four kinds as a batch against the naive
serial way on the same repos; rosters of 10, 40 and 160 in the bench's mix (40% correct,
35% client hangs on multiples of 16, 10% server crashes or never listens, 10% slow but
correct, 5% missing files) for throughput, hang tax, peak RSS and linearity. Each figure
is a median with its min-max; timings are printed and written to JSON, never asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import measure, profile, suite, targets
from bench.roster import MIX

OUT = measure.ROOT / "bench" / "out" / "latest.json"
# The grader before issue 22 (warm student processes): "before" in the targets table.
BASELINE = "d359ef3"


@dataclass(frozen=True, slots=True)
class Plan:
    """How many runs of what."""

    profile_runs: int
    single_runs: int
    roster_runs: int
    naive_runs: int
    naive_kinds: tuple[str, ...] | None  # None: the naive way on all 12 repos
    sizes: tuple[tuple[int, int], ...]  # (N, runs) of each roster in the bench's mix


def plan_for(args: argparse.Namespace) -> Plan:
    """The runs of each figure: the 40-roster (the issue's throughput figure) as many as
    the rest; smaller ones only set the linearity's scale (--side-runs); the largest is
    long and run --largest-runs times."""
    if args.small:
        return Plan(3, 3, 1, 1, ("correct", "server_serves_once"), ())
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    runs = tuple((n, _roster_runs(n, largest=max(sizes), args=args)) for n in sizes)
    return Plan(args.runs, args.runs, args.runs, args.naive_runs, None, runs)


def _roster_runs(n: int, *, largest: int, args: argparse.Namespace) -> int:
    if n == largest and n > 40:
        return int(args.largest_runs)
    return int(args.runs if n >= 40 else args.side_runs)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--profile", action="store_true", help="only the profile, then stop")
    p.add_argument(
        "--small",
        action="store_true",
        help="CI: profile of 3 runs, the 12-roster once, naive way on 2 repos",
    )
    p.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    p.add_argument(
        "--naive-runs",
        type=int,
        default=3,
        help="runs of the naive serial way on the 12 repos (~40 s each; default 3)",
    )
    p.add_argument("--sizes", default="10,40,160", help="roster sizes in the bench's mix")
    p.add_argument(
        "--side-runs", type=int, default=3, help="runs of rosters smaller than 40 (default 3)"
    )
    p.add_argument(
        "--largest-runs", type=int, default=1, help="runs of the largest roster (default 1)"
    )
    p.add_argument("--out", type=Path, default=OUT, help=f"JSON file (default {OUT})")
    p.add_argument(
        "--baseline",
        default=BASELINE,
        help=f"the commit measured as 'before', in the same run (default {BASELINE}); "
        "'none' to skip it",
    )
    return p


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    plan = plan_for(args)
    began = time.monotonic()
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "profile" if args.profile else "small" if args.small else "full",
        "machine": measure.machine(),
        "mix": [{"share": s, "example": e, "kind": k} for s, e, k in MIX],
    }
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        work = Path(tmp)
        repo = suite.submission(work)
        run_profile(repo, work=work, plan=plan, report=report)
        if not args.profile:
            before = None
            if args.baseline != "none" and not args.small:
                before = measure.baseline(args.baseline, dest=work / "baseline")
                report["baseline"] = args.baseline if before else None
            run_targets(repo, work=work, plan=plan, report=report, before=before)
    report["bench_s"] = round(time.monotonic() - began, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    if not args.profile:
        print()
        print(targets.render(targets.collect(report), title=targets_title(report)))
    print(f"\nwritten: {args.out} (the bench took {time.monotonic() - began:.0f} s)")
    return 0


def run_profile(repo: Path, *, work: Path, plan: Plan, report: dict[str, Any]) -> None:
    """Trace the `grade` command plan.profile_runs times (after one warm-up run, which
    pays for cold caches and is not counted) and print where its time goes."""
    say(f"profile: one warm-up run, then {plan.profile_runs} traced runs of `grade`")
    suite.grade_runs(repo, runs=1, work=work, traced=False, say=say)
    graded = suite.grade_runs(repo, runs=plan.profile_runs, work=work, traced=True, say=say)
    rows = profile.summarise([g.profile() for g in graded])
    floor = measure.start_costs()
    report["profile"] = {
        "runs": [g.as_json() for g in graded],
        "rows": [
            {
                "label": r.label,
                "indent": r.indent,
                "note": r.note,
                **(r.figure.as_json() if r.figure else {}),
            }
            for r in rows
        ],
        "process_start": floor,
    }
    title = (
        f"where the time goes: `python -m grader <correct submission> --out <folder>`, "
        f"{len(graded)} traced runs (seconds; indented rows run inside the checks, "
        "side by side, and overlap)"
    )
    print(profile.render(rows, title=title))
    full = sum(g.in_full for g in graded)
    isolation = sorted({str(g.result.get("isolation")) for g in graded})
    print(f"graded in full in {full}/{len(graded)} runs; sandbox: {', '.join(isolation)}")
    print("what one student process start costs (median of 15; a program that prints a line):")
    for layer, cost in floor.items():
        cpu = "-" if cost["cpu_s"] is None else f"{cost['cpu_s']:.4f} s"
        print(f"  {layer:<46} wall {cost['wall_s']:.4f} s   CPU {cpu}")
    sys.stdout.flush()


def run_targets(
    repo: Path, *, work: Path, plan: Plan, report: dict[str, Any], before: Path | None
) -> None:
    """Measure every target's runs into the report; with `before` (the baseline's files),
    the same runs of the baseline's grader too, alternating with ours so both meet the
    same load."""
    from grader import assignment

    say(
        f"targets: {plan.single_runs} untraced runs of `grade`" + (", and before" if before else "")
    )
    single, old = [], []
    for _ in range(plan.single_runs):
        single += suite.grade_runs(repo, runs=1, work=work, traced=False, say=say)
        if before is not None:
            old += suite.grade_runs(
                repo, runs=1, work=work, traced=False, say=say, root=before, label="before: "
            )
    report["single"] = [g.as_json() for g in single]
    report["single_before"] = [g.as_json() for g in old]
    say(f"targets: 12-roster x{plan.roster_runs}, naive serial way x{plan.naive_runs}")
    report["roster_12"] = suite.roster_12(
        work,
        runs=plan.roster_runs,
        naive_runs=plan.naive_runs,
        naive_kinds=plan.naive_kinds,
        say=say,
        before=before,
    )
    check_ids = [c.id for c in assignment.load().checks]
    report["rosters"] = []
    for n, runs in plan.sizes:
        say(f"targets: roster of {n} in the bench's mix x{runs}")
        report["rosters"].append(
            suite.size_runs(
                work,
                n=n,
                runs=runs,
                check_ids=check_ids,
                say=say,
                before=before if n in (40, max(s for s, _ in plan.sizes)) else None,
            )
        )


def targets_title(report: dict[str, Any]) -> str:
    m = report["machine"]
    return (
        f"speed targets (issue 22), {report['date']}, {report['mode']} mode, {m['cores']} "
        f"cores, load {m['load_1min']} at the start (figure: median; min-max over the runs; "
        f"before: the grader at {report.get('baseline') or '-'}, median, same run)"
    )


if __name__ == "__main__":
    sys.exit(main())
