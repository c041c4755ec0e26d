"""Read a harness's answer strictly: one record per check, typed, in schema.

Each line is a `protocol.Record` (JSON through `grader.codec`). Only the final line may
be torn (a harness killed mid-write); a malformed line anywhere else, or two records of
one check, make that check (or, when the record names no check, every unreported check)
an ERROR, the grader's own fault. Records of checks the rubric does not know are
ignored. Whatever is missing at the end did not run. A record is parsed bounded
(`codec.read_json`): it quotes what student code said, so no line can make the parser
raise anything but ValueError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from grader import codec
from grader.model import CheckResult, CheckSpec, Outcome
from grader.protocol import SCHEMA, Record, SessionEnd

MALFORMED = "the grader could not read this check's result (a fault of the grader)."
DUPLICATE = "the grader received two results for this check (a fault of the grader)."
MAX_LINE = 16 << 20  # bytes of one record (a check's evidence is capped far below this)


@dataclass
class Parsed:
    """What one harness reported."""

    checks: dict[str, CheckResult] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # check id -> why it is an ERROR
    session: SessionEnd | None = None
    corrupt: bool = False  # a line named no check: unreported checks are errors, not skipped


def parse(raw: bytes, *, known: Sequence[str]) -> Parsed:
    """Parse the records of one harness (see the module docstring for the rules)."""
    parsed = Parsed()
    lines = raw.split(b"\n")
    lines.pop()  # b"" when the answer ended with a newline, else a torn last line: dropped
    wanted = set(known)
    for line in lines:
        _take(line, parsed, wanted)
    return parsed


def _record(line: bytes) -> Record | None:
    try:
        record = codec.load(Record, codec.read_json(line, max_bytes=MAX_LINE))
    except ValueError:
        return None
    if record.schema != SCHEMA or (record.check is None) == (record.session is None):
        return None
    return record


def _take(line: bytes, parsed: Parsed, wanted: set[str]) -> None:
    record = _record(line)
    if record is None:
        named = _named(line)
        if named in wanted:
            parsed.errors.setdefault(named, MALFORMED)
        else:
            parsed.corrupt = True
        return
    if record.session is not None:
        parsed.session = record.session
        return
    check = record.check
    assert check is not None
    if check.check_id not in wanted:
        return
    if check.check_id in parsed.checks or check.check_id in parsed.errors:
        parsed.errors[check.check_id] = DUPLICATE
        return
    parsed.checks[check.check_id] = check


def _named(line: bytes) -> str | None:
    """The check a malformed record is about, if that much can be read."""
    try:
        data = codec.read_json(line, max_bytes=MAX_LINE)
        name = data["check"]["check_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) else None


def results(
    parsed: Sequence[Parsed], *, specs: Sequence[CheckSpec], missing: str
) -> tuple[CheckResult, ...]:
    """One result per rubric check, in rubric order: reported, an ERROR, or NOT_RUN."""
    out: list[CheckResult] = []
    corrupt = any(p.corrupt for p in parsed)
    for spec in specs:
        error = next((p.errors[spec.id] for p in parsed if spec.id in p.errors), None)
        found = [p.checks[spec.id] for p in parsed if spec.id in p.checks]
        if error is None and len(found) > 1:
            error = DUPLICATE
        if error is not None:
            out.append(CheckResult(spec.id, Outcome.ERROR, message=error))
        elif found:
            out.append(found[0])
        elif corrupt:
            out.append(CheckResult(spec.id, Outcome.ERROR, message=MALFORMED))
        else:
            out.append(CheckResult(spec.id, Outcome.NOT_RUN, message=missing))
    return tuple(out)
