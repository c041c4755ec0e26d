"""run/results.py: a harness's answer is read strictly. Exactly one well-formed record per
check; a malformed or duplicate record makes its check an ERROR (the grader's fault);
only a torn final line is forgiven; whatever never reported did not run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import codec
from grader.model import CheckResult, CheckSpec, Exchange, Outcome
from grader.protocol import SCHEMA, Record, SessionEnd
from grader.run.results import DUPLICATE, MALFORMED, Parsed, parse, results

KNOWN = ("a", "b", "c")
SPECS = tuple(CheckSpec(c, c.upper(), 1) for c in KNOWN)
MISSING = "this check did not report a result."


def record(check_id: str, outcome: Outcome = Outcome.PASSED, **fields: Any) -> dict[str, Any]:
    """A well-formed record of one check, as JSON data (to be broken by a test)."""
    data: dict[str, Any] = codec.dump(Record(SCHEMA, check=CheckResult(check_id, outcome)))
    data["check"].update(fields)
    return data


def session(*escaped: int) -> dict[str, Any]:
    return codec.dump(Record(SCHEMA, session=SessionEnd(escaped, 0)))  # type: ignore[no-any-return]


def lines(*items: dict[str, Any] | bytes) -> bytes:
    """One record per line, each ended by a newline (bytes are taken as they are)."""
    return b"".join(i if isinstance(i, bytes) else json.dumps(i).encode() + b"\n" for i in items)


def outcomes(*parsed: Parsed) -> dict[str, tuple[Outcome, str]]:
    return {
        r.check_id: (r.outcome, r.message) for r in results(parsed, specs=SPECS, missing=MISSING)
    }


def test_a_clean_answer_gives_each_check_its_record() -> None:
    sent = CheckResult("b", Outcome.FAILED, 0.5, "no echo", exchanges=(Exchange("x", b"\0"),))
    raw = lines(record("a"), codec.dump(Record(SCHEMA, check=sent)), record("c"), session(7))
    parsed = parse(raw, known=KNOWN)
    assert parsed.checks["b"] == sent
    assert parsed.session == SessionEnd((7,), 0)
    assert not parsed.errors and not parsed.corrupt
    assert [r.check_id for r in results([parsed], specs=SPECS, missing=MISSING)] == list(KNOWN)


def test_a_check_that_never_reported_did_not_run() -> None:
    assert outcomes(parse(lines(record("a")), known=KNOWN)) == {
        "a": (Outcome.PASSED, ""),
        "b": (Outcome.NOT_RUN, MISSING),
        "c": (Outcome.NOT_RUN, MISSING),
    }


def test_nothing_at_all_means_nothing_ran() -> None:
    assert {o for o, _ in outcomes(parse(b"", known=KNOWN)).values()} == {Outcome.NOT_RUN}


@pytest.mark.parametrize("cut", [1, 10, 40, -1])
def test_a_torn_last_line_is_forgiven(cut: int) -> None:
    """A harness killed mid-write leaves part of a line: that check simply did not run."""
    torn = json.dumps(record("b")).encode()[:cut]
    parsed = parse(lines(record("a")) + torn, known=KNOWN)
    assert not parsed.errors and not parsed.corrupt
    assert outcomes(parsed)["b"] == (Outcome.NOT_RUN, MISSING)


def test_a_torn_line_in_the_middle_is_corruption() -> None:
    """Part of a line, then more records: not a kill, so every unreported check is an
    ERROR (it may be the torn one); the checks that did report keep their results."""
    torn = json.dumps(record("b")).encode()[:30] + b"\n"
    assert outcomes(parse(lines(record("a"), torn, record("c")), known=KNOWN)) == {
        "a": (Outcome.PASSED, ""),
        "b": (Outcome.ERROR, MALFORMED),
        "c": (Outcome.PASSED, ""),
    }


@pytest.mark.parametrize(
    "junk",
    [
        b"\xff\xfe not utf-8\n",
        b"\n",
        b"not json\n",
        b"[1, 2]\n",
        b'"a"\n',
        b"null\n",
        b'{"schema": 2}\n',  # neither a check nor a session
        b'{"schema": 2, "check": null, "session": null}\n',
    ],
)
def test_corruption_that_names_no_check_makes_every_unreported_check_an_error(junk: bytes) -> None:
    parsed = parse(lines(record("a"), junk), known=KNOWN)
    assert parsed.corrupt
    assert outcomes(parsed) == {
        "a": (Outcome.PASSED, ""),
        "b": (Outcome.ERROR, MALFORMED),
        "c": (Outcome.ERROR, MALFORMED),
    }


def test_non_utf8_bytes_inside_a_record_make_it_unreadable() -> None:
    bad = json.dumps(record("b", message="\udcff")).encode().replace(b"\\udcff", b"\xff")
    parsed = parse(lines(record("a"), bad + b"\n"), known=KNOWN)
    assert parsed.corrupt and outcomes(parsed)["b"] == (Outcome.ERROR, MALFORMED)


def test_a_duplicate_record_makes_the_check_an_error() -> None:
    parsed = parse(lines(record("a"), record("b"), record("a", Outcome.FAILED)), known=KNOWN)
    assert parsed.errors == {"a": DUPLICATE}
    assert outcomes(parsed)["a"] == (Outcome.ERROR, DUPLICATE)
    assert outcomes(parsed)["b"] == (Outcome.PASSED, "")


def test_one_check_reported_by_two_harnesses_is_a_duplicate() -> None:
    one, two = (
        parse(lines(record("a")), known=KNOWN),
        parse(lines(record("a"), record("b")), known=KNOWN),
    )
    assert outcomes(one, two)["a"] == (Outcome.ERROR, DUPLICATE)
    assert outcomes(one, two)["b"] == (Outcome.PASSED, "")


@pytest.mark.parametrize(
    "broken",
    [
        {**record("b"), "schema": 1},  # another schema
        {**record("b"), "schema": "2"},
        {**record("b"), "schema": True},  # a bool is not an int
        {**record("b"), "schema": 2.0},
        {**record("b"), "session": session()["session"]},  # a check and a session at once
        {**record("b"), "extra": 1},  # an unknown field of the record
        record("b", colour="red"),  # an unknown field of the check
        record("b", outcome="bogus"),  # not an Outcome
        record("b", outcome=None),
        record("b", duration_s="0.1"),  # wrong types
        record("b", duration_s=True),
        record("b", message=3),
        record("b", exchanges={"label": "x"}),
        record("b", exchanges=[{"label": "x", "sent": "not base64!"}]),
        record("b", hang="stuck"),
        {"schema": SCHEMA, "check": {"check_id": "b"}},  # a missing field
    ],
)
def test_a_malformed_record_of_a_known_check_makes_that_check_an_error(
    broken: dict[str, Any],
) -> None:
    parsed = parse(lines(record("a"), broken, record("c")), known=KNOWN)
    assert parsed.errors == {"b": MALFORMED} and not parsed.corrupt
    assert outcomes(parsed) == {
        "a": (Outcome.PASSED, ""),
        "b": (Outcome.ERROR, MALFORMED),
        "c": (Outcome.PASSED, ""),
    }


def test_a_malformed_record_next_to_a_good_one_of_the_same_check_is_an_error() -> None:
    for order in ((record("b"), record("b", outcome="x")), (record("b", outcome="x"), record("b"))):
        assert outcomes(parse(lines(*order), known=KNOWN))["b"][0] is Outcome.ERROR


def test_records_of_checks_the_rubric_does_not_know_are_ignored() -> None:
    parsed = parse(lines(record("zz"), record("a"), record("")), known=KNOWN)
    assert set(parsed.checks) == {"a"} and not parsed.errors and not parsed.corrupt


def test_a_malformed_record_of_an_unknown_check_is_corruption() -> None:
    """It names no check this run can blame, so the unreported ones are errors."""
    parsed = parse(lines(record("a"), record("zz", outcome="x")), known=KNOWN)
    assert parsed.corrupt and outcomes(parsed)["b"] == (Outcome.ERROR, MALFORMED)


def test_the_session_record_is_kept_apart_from_the_checks() -> None:
    parsed = parse(lines(session(1, 2), record("a")), known=KNOWN)
    assert parsed.session == SessionEnd((1, 2), 0)
    assert set(parsed.checks) == {"a"}


def test_a_reported_error_keeps_its_trace_for_instructors() -> None:
    raw = lines(record("a", outcome="error", message="the grader could not", trace="Traceback"))
    (first, *_) = results([parse(raw, known=KNOWN)], specs=SPECS, missing=MISSING)
    assert (first.outcome, first.trace) == (Outcome.ERROR, "Traceback")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=300) | st.sampled_from([b"[" * 100_000, b"\xff\xfe"])))
def test_no_line_makes_the_reader_raise(junk: list[bytes]) -> None:
    """A record quotes what student code said; whatever a line holds, it is read or it
    is malformed, and every rubric check still gets exactly one result."""
    raw = b"\n".join([json.dumps(record("a")).encode(), *junk, b""])
    got = results([parse(raw, known=KNOWN)], specs=SPECS, missing=MISSING)
    assert [r.check_id for r in got] == list(KNOWN)


def test_a_record_nested_deep_is_malformed_not_a_crash() -> None:
    deep = b'{"schema": 2, "check": {"check_id": "b", "message": ' + b"[" * 50_000 + b"]" * 50_000
    got = outcomes(parse(lines(record("a"), deep + b"}}\n", session()), known=KNOWN))
    assert got["a"][0] is Outcome.PASSED
    assert got["b"] == (Outcome.ERROR, MALFORMED)
