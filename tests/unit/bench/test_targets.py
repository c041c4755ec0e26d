"""Met or missed: decided on the median, with the spread printed beside it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.stats import Spread
from bench.targets import Target, collect, from_spread, linearity, render, speedup


def test_a_limit_is_met_on_the_right_side_of_the_median() -> None:
    assert from_spread(Spread((0.4, 0.7, 0.45)), name="t", limit=0.5, unit="s").status == "met"
    assert from_spread(Spread((0.6,)), name="t", limit=0.5, unit="s").status == "missed"
    assert from_spread(None, name="t", limit=0.5, unit="s").status == "not measured"
    assert Target("t", 0.5, 0.5, 0.5, 0.5, "s").status == "met"  # the limit itself is met


def test_notes_say_how_many_runs() -> None:
    assert from_spread(Spread((1.0,)), name="t", limit=2, unit="s").note == "one run"
    found = from_spread(Spread((1.0, 2.0)), name="t", limit=2, unit="s", note="why")
    assert found.note == "median of 2 runs; why"


def test_speedup_is_the_ratio_of_medians_and_its_widest_spread() -> None:
    slow = speedup("r", naive=Spread((40.0, 42.0, 44.0)), ours=Spread((4.0, 5.0)), limit=10)
    assert (slow.figure, slow.low, slow.high) == pytest.approx((42 / 4.5, 8.0, 11.0))
    assert (slow.status, slow.target) == ("missed", ">= 10x")
    fast = speedup("r", naive=Spread((42.0,)), ours=Spread((3.0, 4.0, 5.0)), limit=10)
    assert fast.status == "met"
    assert speedup("r", naive=None, ours=Spread((1.0,)), limit=10).status == "not measured"


def test_linearity_compares_the_two_largest_rosters() -> None:
    per = {10: Spread((3.0,)), 40: Spread((2.0, 2.2)), 160: Spread((2.3,))}
    found = linearity("lin", per_submission=per, limit=1.2)
    assert found.figure == pytest.approx(2.3 / 2.1)
    assert found.status == "met"
    assert "N=160: 2.300 (one run)" in found.note
    grows = linearity("lin", per_submission={40: Spread((2.0,)), 160: Spread((3.0,))}, limit=1.2)
    assert grows.status == "missed"
    alone = linearity("lin", per_submission={40: Spread((2.0,))}, limit=1.2)
    assert alone.status == "not measured"


def batch(wall_s: float, *, tax: float | None = 0.3, rss: float = 50.0) -> dict[str, object]:
    return {"code": 0, "wall_s": wall_s, "peak_rss_mb": rss, "hang_tax": {"median_extra_s": tax}}


def test_collect_reads_every_target_from_the_raw_runs() -> None:
    report = {
        "single": [
            {
                "code": 0,
                "wall_s": w,
                "cpu_s": w,
                "score": 100,
                "max_score": 100,
                "sandboxed": True,
                "isolation": "bwrap",
            }
            for w in (0.6, 0.7, 0.8)
        ],
        "single_before": [{"wall_s": w, "cpu_s": 2 * w} for w in (1.8, 1.9, 2.0)],
        "roster_12": {
            "kinds": {f"s{i}": "k" for i in range(12)},
            "naive_repos": [f"s{i}" for i in range(12)],
            "ours": [batch(4.0), batch(5.0)],
            "before": [batch(20.0)],
            "naive": [batch(44.0)],
        },
        "rosters": [
            {"n": 40, "runs": [batch(14.0, tax=0.4), batch(16.0, tax=None)]},
            {"n": 160, "runs": [batch(80.0, rss=150.0)], "before": [batch(90.0, rss=140.0)]},
        ],
    }
    found = {t.name: t for t in collect(report)}
    statuses = [t.status for t in found.values()]
    assert statuses == ["met", "met", "met", "met", "met", "met", "missed"]
    single = found["one correct submission, whole `grade` command"]
    assert single.note == (
        "median of 3 runs; untraced; full marks in 3/3; sandbox bwrap; goal 0.5 s"
    )
    assert single.before == pytest.approx(1.9)
    assert found["its total CPU (user+sys, all processes)"].figure == pytest.approx(0.7)
    ratio = found["12-roster of four kinds vs naive serial (same run)"]
    assert (ratio.figure, ratio.before) == pytest.approx((44 / 4.5, 44 / 20))
    rss = found["grader peak RSS at N=160"]
    assert (rss.before, rss.target) == (140.0, "<= 154 MB")
    assert found["hang tax per hung check (N=40)"].figure == pytest.approx(0.4)
    assert found["cost linear in N (s/submission, largest N over next)"].figure == pytest.approx(
        (80 / 160) / (15 / 40)
    )


def test_collect_on_a_small_run_says_what_was_not_measured() -> None:
    found = collect({"single": [], "rosters": []})
    assert {t.status for t in found} == {"not measured"}


def test_the_table_shows_figure_spread_target_and_status() -> None:
    rows = [
        replace(from_spread(Spread((0.4, 0.6, 0.5)), name="one", limit=0.5, unit="s"), before=1.25),
        speedup("ratio", naive=Spread((40.0,)), ours=Spread((5.0,)), limit=10),
        from_spread(None, name="rss", limit=200, unit="MB"),
    ]
    lines = render(rows, title="T").splitlines()
    assert lines[0] == "T"
    assert lines[2].split() == [
        "one",
        "0.500",
        "0.400-0.600",
        "1.250",
        "<=",
        "0.5",
        "s",
        "met",
        "median",
        "of",
        "3",
        "runs",
    ]
    assert lines[3].split()[:7] == ["ratio", "8.00", "8.00-8.00", "-", ">=", "10x", "missed"]
    assert lines[4].split() == ["rss", "-", "-", "-", "<=", "200", "MB", "not", "measured"]
