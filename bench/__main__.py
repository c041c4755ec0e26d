"""Benchmark the grader on a synthetic roster: `python -m bench [--small] [--sizes 10,40,160]`.

Builds N example repositories in a temp dir (40% correct, 35% client hangs on multiples
of 16, 10% server crashes or never listens, 10% slow but correct, 5% missing files),
grades them as a batch in a child process (so its peak RSS is the grader's own), and
prints a table plus a JSON file. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "examples"
MIX = (  # (share, example folder, kind)
    (0.40, "passes_all_legacy", "correct"),
    (0.35, "client_stops_on_short_chunk", "client_hangs"),
    (0.05, "server_never_listens", "server_broken"),
    (0.05, "server_crashes", "server_broken"),
    (0.10, "slow_but_correct", "slow_correct"),
    (0.05, "missing_client", "missing_files"),
)
CRASHING_SERVER = "import sys\nraise SystemExit('server crashed: ' + sys.argv[0])\n"


def kinds_for(n: int) -> list[tuple[str, str]]:
    """The example and kind of each of n repos, in the mix's proportions."""
    out: list[tuple[str, str]] = []
    for share, example, kind in MIX:
        out += [(example, kind)] * round(share * n)
    while len(out) < n:
        out.append(MIX[0][1:])
    return out[:n]


def build_roster(folder: Path, n: int) -> tuple[Path, dict[str, str]]:
    """n real git repositories and a roster CSV; returns the roster and id -> kind."""
    import git

    lines = ["identifier,repo"]
    kinds: dict[str, str] = {}
    actor = git.Actor("Bench", "bench@example.edu")
    for i, (example, kind) in enumerate(kinds_for(n)):
        ident = f"s{i:04d}"
        repo_dir = folder / ident
        if example == "server_crashes":
            shutil.copytree(EXAMPLES / "passes_all_legacy", repo_dir)
            (repo_dir / "echo_server.py").write_text(CRASHING_SERVER)
        else:
            shutil.copytree(EXAMPLES / example, repo_dir)
        (repo_dir / "README.md").write_text(f"student {ident}\n")  # every repo distinct
        repo = git.Repo.init(repo_dir, initial_branch="main")
        repo.git.add(A=True)
        repo.index.commit("homework", author=actor, committer=actor)
        lines.append(f"{ident},{repo_dir}")
        kinds[ident] = kind
    roster = folder / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    return roster, kinds


_BATCH = (
    "import json, resource, sys, time; from grader.cli import main; t = time.monotonic(); "
    "code = main(sys.argv[1:]); "
    "print(json.dumps({'code': code, 'wall_s': time.monotonic() - t, "
    "'peak_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
    "'children_peak_rss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), "
    "file=sys.stderr)"
)


def run_batch(roster: Path, out: Path, jobs: int | None) -> dict[str, Any]:
    argv = [sys.executable, "-c", _BATCH, "--roster", str(roster), "--out", str(out)]
    if jobs:
        argv += ["--jobs", str(jobs)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    last = done.stderr.strip().splitlines()[-1]
    return json.loads(last)


def results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("s*/results.json"))]


def per_kind(out: Path, kinds: dict[str, str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for r in results(out):
        ident = r["extra_data"]["student"]
        times.setdefault(kinds[ident], []).append(r["execution_time"])
    return times


def hang_tax(out: Path, assignment_checks: list[str]) -> dict[str, Any]:
    """Extra wall time of a hung check over the same check when it passes."""
    import sqlite3

    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute("SELECT check_id, outcome, duration_s FROM checks").fetchall()
    passed: dict[str, list[float]] = {}
    hung: dict[str, list[float]] = {}
    for check_id, outcome, dur in rows:
        if dur is None:
            continue
        (passed if outcome == "passed" else hung if outcome == "timeout" else {}).setdefault(
            check_id, []
        ).append(dur)
    extra = [
        statistics.median(hung[c]) - statistics.median(passed[c])
        for c in hung
        if c in passed and c in assignment_checks
    ]
    return {
        "hung_checks_seen": sum(len(v) for v in hung.values()),
        "median_extra_s": round(statistics.median(extra), 3) if extra else None,
        "max_extra_s": round(max(extra), 3) if extra else None,
    }


def sandbox_overhead(samples: int = 15) -> dict[str, Any]:
    """Start `python -c pass` bare and in the sandbox; compare the medians."""
    from grader.model import Isolation
    from grader.run import capabilities
    from grader.sandbox import Launcher, policy_for

    caps = capabilities()
    timings: dict[str, float] = {}
    for sandboxed in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            policy = policy_for(caps, sandbox=sandboxed, python=sys.executable)
            launcher = Launcher(policy, Path(tmp))
            spent = []
            for _ in range(samples):
                t = time.monotonic()
                proc = launcher.spawn(["-c", "pass"], name="probe")
                proc.wait(10)
                spent.append(time.monotonic() - t)
            launcher.close()
            timings[
                "sandboxed" if sandboxed and policy.isolation is Isolation.BWRAP else "bare"
            ] = statistics.median(spent)
    ratio = timings.get("sandboxed", 0) / timings["bare"] if timings.get("bare") else None
    return {
        "bare_start_s": round(timings["bare"], 4),
        "sandboxed_start_s": round(timings.get("sandboxed", float("nan")), 4),
        "ratio": round(ratio, 2) if ratio else None,
    }


def single_latency(runs: int = 5) -> dict[str, Any]:
    """One correct submission graded alone (a student's `grade .`): full suite, sandboxed."""
    from grader import assignment
    from grader.pipeline import grade
    from grader.settings import Settings

    spec = assignment.load()
    times = []
    for _ in range(runs):
        t = time.monotonic()
        result = grade(
            str(EXAMPLES / "passes_all_legacy"), assignment=spec, settings=Settings(reveal=True)
        )
        times.append(time.monotonic() - t)
        assert result.score is not None and result.score.percent == 100
    return {
        "runs": runs,
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "sandboxed": bool(result.run and result.run.sandboxed),
    }


def naive_baseline(folder: Path, idents: list[str]) -> dict[str, Any]:
    """The course's own way: start the server, sleep 3 s, run tests.py (10 s limit), kill."""
    tests_py = ROOT / "student_template" / "tests.py"
    start = time.monotonic()
    for ident in idents:
        work = folder / f"naive-{ident}"
        shutil.copytree(folder / ident, work)
        shutil.copy(tests_py, work / "tests.py")
        server = work / "echo_server.py"
        proc = None
        if server.exists():
            proc = subprocess.Popen(
                [sys.executable, str(server)],
                cwd=work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        time.sleep(3)  # the fixed sleep this baseline is measured for
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(
                [sys.executable, "tests.py"],
                cwd=work,
                timeout=10,
                capture_output=True,
                check=False,
            )
        if proc is not None:
            os.killpg(proc.pid, 9)
            proc.wait()
    wall = time.monotonic() - start
    return {"repos": len(idents), "wall_s": round(wall, 2)}


def machine() -> dict[str, Any]:
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10,40,160", help="roster sizes, comma-separated")
    p.add_argument("--small", action="store_true", help="CI mode: one roster of 8")
    p.add_argument("--baseline-size", type=int, default=40, help="repos in the naive baseline")
    p.add_argument("--jobs", type=int, help="batch --jobs (default: the grader's)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "latest.json")
    args = p.parse_args(argv)
    sizes = [8] if args.small else [int(s) for s in args.sizes.split(",")]
    baseline_n = min(8, sizes[0]) if args.small else args.baseline_size

    from grader import assignment

    check_ids = [c.id for c in assignment.load().checks]
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "mix": [{"share": s, "example": e, "kind": k} for s, e, k in MIX],
        "rosters": [],
    }
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        work = Path(tmp)
        for n in sizes:
            folder = work / f"n{n}"
            folder.mkdir()
            roster, kinds = build_roster(folder, n)
            out = folder / "grades"
            batch = run_batch(roster, out, args.jobs)
            times = per_kind(out, kinds)
            correct = times.get("correct", [])
            entry = {
                "n": n,
                "exit_code": batch["code"],
                "batch_wall_s": round(batch["wall_s"], 2),
                "per_minute": round(60 * n / batch["wall_s"], 1),
                "seconds_per_submission": round(batch["wall_s"] / n, 3),
                "correct_median_s": round(statistics.median(correct), 3) if correct else None,
                "correct_max_s": round(max(correct), 3) if correct else None,
                "by_kind_median_s": {k: round(statistics.median(v), 3) for k, v in times.items()},
                "grader_peak_rss_mb": round(batch["peak_rss_kb"] / 1024, 1),
                "largest_child_peak_rss_mb": round(batch["children_peak_rss_kb"] / 1024, 1),
                "hang_tax": hang_tax(out, check_ids),
            }
            if n == baseline_n or (args.small and n == sizes[0]):
                idents = sorted(kinds)[:baseline_n]
                base = naive_baseline(folder, idents)
                ours = batch["wall_s"] * len(idents) / n
                entry["naive_baseline"] = {**base, "ratio_vs_ours": round(base["wall_s"] / ours, 1)}
            report["rosters"].append(entry)
        report["sandbox_start"] = sandbox_overhead()
        report["single_correct_submission"] = single_latency(3 if args.small else 5)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nwritten: {args.out}")
    return 0


def print_table(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"grader benchmark {report['date']} on {m['cores']} cores, {m['ram_gib']} GiB RAM")
    print(
        f"{'N':>5} {'batch s':>8} {'per min':>8} {'correct median':>15} {'max':>6} "
        f"{'hang tax':>9} {'RSS MB':>7} {'vs naive':>9}"
    )
    for r in report["rosters"]:
        tax = r["hang_tax"]["median_extra_s"]
        naive = r.get("naive_baseline", {}).get("ratio_vs_ours")
        print(
            f"{r['n']:>5} {r['batch_wall_s']:>8} {r['per_minute']:>8} "
            f"{r['correct_median_s'] or '-':>15} {r['correct_max_s'] or '-':>6} "
            f"{tax if tax is not None else '-':>9} {r['grader_peak_rss_mb']:>7} "
            f"{(str(naive) + 'x') if naive else '-':>9}"
        )
    one = report["single_correct_submission"]
    print(
        f"one correct submission alone (full suite, sandboxed): median {one['median_s']} s, "
        f"max {one['max_s']} s over {one['runs']} runs"
    )
    s = report["sandbox_start"]
    print(
        f"sandbox start: {s['sandboxed_start_s']} s vs bare {s['bare_start_s']} s "
        f"(ratio {s['ratio']})"
    )


if __name__ == "__main__":
    sys.exit(main())
