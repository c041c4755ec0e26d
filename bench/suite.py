"""The measurements, in the order `python -m bench` makes them, each a list of runs.

measure.py starts the processes, profile.py and targets.py turn what they leave into
tables; this module decides how many runs of what, and keeps every raw figure for the
JSON file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import measure
from bench.profile import RunProfile, parse_spans, profile_of
from bench.roster import MIX, MIX_12, build_roster, one_per_kind

CORRECT = measure.EXAMPLES / "passes_all_legacy"
Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Graded:
    """One `grade` command on the correct submission: timing, trace, what it said."""

    run: measure.Timed
    result: dict[str, Any]
    trace: Path | None

    @property
    def in_full(self) -> bool:
        r = self.result
        return self.run.code == 0 and r["score"] is not None and r["score"] == r["max_score"]

    def profile(self) -> RunProfile:
        text = self.trace.read_text() if self.trace and self.trace.exists() else ""
        return profile_of(
            parse_spans(text),
            launched=self.run.launched,
            ended=self.run.ended,
            cpu_s=self.run.cpu_s,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.run.code,
            "wall_s": round(self.run.wall_s, 3),
            "cpu_s": round(self.run.cpu_s, 3),
            **self.result,
        }


def submission(work: Path) -> Path:
    """The correct submission as a student has it: a git clone of their own."""
    return measure.make_repo(CORRECT, dest=work / "echo_sockets")


def grade_runs(
    repo: Path,
    *,
    runs: int,
    work: Path,
    traced: bool,
    say: Say,
    root: Path = measure.ROOT,
    label: str = "",
) -> list[Graded]:
    """The whole `grade` command `runs` times, each into a fresh output folder (with the
    grader of `root`: this checkout's, or the baseline's)."""
    done = []
    for i in range(runs):
        out = work / f"out-{len(list(work.glob('out-*')))}"
        trace = work / f"{out.name}.jsonl" if traced else None
        run = measure.grade_command(repo, out=out, trace=trace, root=root)
        done.append(Graded(run, measure.graded_in_full(out), trace))
        how = " (traced)" if traced else ""
        say(f"  {label}`grade` run {i + 1}/{runs}{how}: {run.wall_s:.2f} s, CPU {run.cpu_s:.2f} s")
    return done


def roster_12(
    work: Path,
    *,
    runs: int,
    naive_runs: int,
    naive_kinds: tuple[str, ...] | None,
    say: Say,
    before: Path | None = None,
) -> dict[str, Any]:
    """The 12-repo roster of four kinds as a batch `runs` times (and as graded by the
    baseline's grader in `before`, when given), and the naive serial way on the same repos
    (all, or one of each of naive_kinds) `naive_runs` times, alternating so all meet the
    same load."""
    folder = work / "roster12"
    folder.mkdir()
    roster, kinds = build_roster(folder, n=12, mix=MIX_12)
    idents = sorted(kinds) if naive_kinds is None else one_per_kind(kinds, wanted=naive_kinds)
    ours: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    naive: list[dict[str, Any]] = []
    for i in range(max(runs, naive_runs)):
        if i < runs:
            ours.append(measure.run_batch(roster, out=folder / f"grades-{i}"))
            say(f"  12-roster batch run {i + 1}/{runs}: {ours[-1]['wall_s']:.2f} s")
            if before is not None:
                old.append(measure.run_batch(roster, out=folder / f"before-{i}", root=before))
                say(f"  12-roster batch run {i + 1}/{runs}, before: {old[-1]['wall_s']:.2f} s")
        if i < naive_runs:
            base = folder / f"naive-{i}"
            base.mkdir()
            naive.append(measure.naive_baseline(folder, idents=idents, work=base))
            say(
                f"  naive serial run {i + 1}/{naive_runs} ({len(idents)} repos): "
                f"{naive[-1]['wall_s']:.1f} s"
            )
    return {"kinds": kinds, "naive_repos": idents, "ours": ours, "before": old, "naive": naive}


def size_runs(
    work: Path,
    *,
    n: int,
    runs: int,
    check_ids: list[str],
    say: Say,
    before: Path | None = None,
) -> dict[str, Any]:
    """A roster of n repos in the bench's mix, graded as a batch `runs` times (and by the
    baseline's grader in `before`, alternating); with each run's hang tax from its
    gradebook."""
    folder = work / f"n{n}"
    folder.mkdir()
    roster, _ = build_roster(folder, n=n, mix=MIX)
    found: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    for i in range(runs):
        found.append(_batch_run(roster, out=folder / f"grades-{i}", check_ids=check_ids))
        say(f"  N={n} batch run {i + 1}/{runs}: {found[-1]['wall_s']:.2f} s")
        if before is not None:
            out = folder / f"before-{i}"
            old.append(_batch_run(roster, out=out, check_ids=check_ids, root=before))
            say(f"  N={n} batch run {i + 1}/{runs}, before: {old[-1]['wall_s']:.2f} s")
    return {"n": n, "runs": found, "before": old}


def _batch_run(
    roster: Path, *, out: Path, check_ids: list[str], root: Path = measure.ROOT
) -> dict[str, Any]:
    batch = measure.run_batch(roster, out=out, root=root)
    n = len(roster.read_text().splitlines()) - 1
    tax = measure.hang_tax(out, check_ids=check_ids) if out.exists() else {}
    return {**batch, "seconds_per_submission": round(batch["wall_s"] / n, 4), "hang_tax": tax}
