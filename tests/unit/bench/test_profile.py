"""The profile's arithmetic on a hand-written trace: two harnesses side by side, the
stages of the grader process adding up to the wall time, the critical path."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bench.profile import (
    CHECKS,
    CLI,
    INTAKE,
    OTHER,
    PREFLIGHT,
    REPORT,
    SCORING,
    STARTUP,
    WALL,
    RunProfile,
    parse_spans,
    profile_of,
    render,
    summarise,
)

GRADER, H1, H2 = 10, 21, 22
# (span, start, seconds, pid); the command was launched at 100.0 and ended at 102.5.
TRACE = [
    ("cli main", 100.30, 0.0, GRADER),
    ("grade", 100.32, 2.0, GRADER),
    ("preflight", 100.40, 0.08, GRADER),
    ("output handling (CPU)", 100.50, 0.001, GRADER),
    ("checks (harnesses, wall)", 100.60, 1.60, GRADER),
    ("harness spawned", 100.61, 0.0, GRADER),
    ("harness spawned", 100.62, 0.0, GRADER),
    ("harness ready", 101.00, 0.0, H2),  # the second spawned is ready first
    ("check c", 101.01, 0.20, H2),
    ("student runner start", 101.02, 0.04, H2),
    ("fork server warm", 101.03, 0.03, H2),  # a span the bench does not know
    ("student call", 101.06, 0.01, H2),
    ("harness ready", 101.10, 0.0, H1),
    ("check a", 101.11, 0.50, H1),
    ("student server start", 101.12, 0.05, H1),
    ("output handling (CPU)", 101.20, 0.002, H1),
    ("check b", 101.62, 0.50, H1),
    ("student server start", 101.63, 0.07, H1),
    ("report", 102.33, 0.05, GRADER),
]


def trace_text() -> str:
    lines = [json.dumps({"span": n, "start": t, "s": s, "pid": p}) for n, t, s, p in TRACE]
    return "\n".join(lines) + '\n{"span": "torn'


def profile(*, ended: float = 102.5) -> RunProfile:
    return profile_of(parse_spans(trace_text()), launched=100.0, ended=ended, cpu_s=1.5)


def test_a_torn_last_line_is_skipped() -> None:
    assert len(parse_spans(trace_text())) == len(TRACE)


def test_the_stages_add_up_to_the_wall_time() -> None:
    stages = dict(profile().stages)
    expected = {
        STARTUP: 0.30,
        CLI: 0.02,
        INTAKE: 0.20,
        PREFLIGHT: 0.08,
        CHECKS: 1.60,
        SCORING: 0.12,
        REPORT: 0.05,
        OTHER: 0.13,
    }
    assert stages == pytest.approx(expected)
    assert sum(v for v in stages.values() if v is not None) == pytest.approx(2.5)


def test_a_missing_span_leaves_its_stage_unknown_and_the_remainder_grows() -> None:
    spans = [s for s in parse_spans(trace_text()) if s.name != "report"]
    stages = dict(profile_of(spans, launched=100.0, ended=102.5, cpu_s=0.0).stages)
    assert stages[REPORT] is None
    assert stages[OTHER] == pytest.approx(0.18)


def test_harnesses_pair_spawns_with_readies_by_pid() -> None:
    p = profile()
    first, second = p.harnesses
    assert (first.index, first.pid, second.index, second.pid) == (1, H1, 2, H2)
    assert first.start_s == pytest.approx(0.49)
    assert second.start_s == pytest.approx(0.38)
    assert (first.n_checks, first.checks_s, first.finished) == (2, pytest.approx(1.0), 102.12)
    assert p.checks == (("c", 0.2, 2), ("a", 0.5, 1), ("b", 0.5, 1))
    assert p.critical == first


def test_student_spans_are_counted_and_added_up_unknown_ones_too() -> None:
    groups = {label: (n, round(s, 6)) for label, n, s in profile().groups}
    assert groups == {
        "student server starts": (2, 0.12),
        "student runner starts": (1, 0.04),
        "student calls": (1, 0.01),
        "output handling, CPU": (2, 0.003),
        "fork server warm": (1, 0.03),
    }


def test_summary_rows_are_medians_with_spread_over_runs() -> None:
    rows = {r.label: r for r in summarise([profile(), profile(ended=102.7), profile()])}
    assert rows[WALL].figure is not None
    assert (rows[WALL].figure.median, rows[WALL].figure.high) == pytest.approx((2.5, 2.7))
    assert rows["check a"].note == "harness 1 (pid 21)"
    assert rows["check c"].note == "harness 2 (pid 22)"
    assert rows["student server starts"].note == "x2, added up"
    critical = "critical path: harness 1 finished last (3/3 runs)"
    assert rows["between its checks"].figure is not None
    assert rows["between its checks"].figure.median == pytest.approx(0.02)
    assert rows["after its last check (exit, collection)"].figure.median == pytest.approx(0.08)
    assert critical in rows


def test_rows_inside_the_checks_come_after_it_indented_by_harness() -> None:
    labels = [r.label for r in summarise([profile()])]
    at = labels.index(CHECKS)
    assert labels[at + 1 : at + 6] == [
        "harness 1 start (spawned to ready)",
        "harness 2 start (spawned to ready)",
        "check a",
        "check b",
        "check c",
    ]
    assert labels.index(SCORING) > labels.index("between its checks")


def test_render_prints_median_and_min_max() -> None:
    text = render(summarise([profile(), profile(ended=102.7)]), title="T")
    lines = text.splitlines()
    assert lines[0] == "T"
    wall = next(line for line in lines if line.startswith(WALL))
    assert wall.split()[-2:] == ["2.600", "2.500-2.700"]
    check_a = next(line for line in lines if line.strip().startswith("check a"))
    assert check_a.split()[-6:] == ["0.500", "0.500-0.500", "harness", "1", "(pid", "21)"]


def test_a_check_run_by_either_harness_says_so() -> None:
    other = replace(profile(), checks=(("c", 0.2, 1), ("a", 0.5, 2), ("b", 0.5, 1)))
    rows = {r.label: r for r in summarise([profile(), other])}
    assert rows["check a"].note == "harness 1,2"
    assert rows["check b"].note == "harness 1 (pid 21)"
