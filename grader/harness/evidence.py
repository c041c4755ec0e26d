"""What one check collects for its report: exchanges, outputs, diagnoses, commands.

A check fails through `Check.fail` (the student's code did something wrong) or
`Check.hung`; any other exception in a check is the grader's own fault. Everything kept
is bounded (payloads clipped to head and tail, counts capped), so no submission can make
the harness hold more than a few megabytes for a check.
"""

from __future__ import annotations

from typing import NoReturn

import pytest

from grader.errors import HarnessError
from grader.harness.diagnosis import HARNESS, Catalogue
from grader.model import Captured, CheckResult, Diagnosis, Exchange, Hang, Outcome
from grader.protocol import CheckPlan

CLIP_HEAD = 2048
CLIP_TAIL = 512
MAX_EXCHANGES = 40
MAX_OUTPUTS = 12
MAX_EVIDENCE = 8000
MAX_COMMANDS = 12


def clip(data: bytes | None) -> bytes | None:
    """Keep the head and tail of a payload; the report needs no more (and 1 MiB x 3 is
    too much to carry through results and the gradebook)."""
    if data is None or len(data) <= CLIP_HEAD + CLIP_TAIL:
        return data
    return data[:CLIP_HEAD] + data[-CLIP_TAIL:]


class Check:
    """The evidence of one check, handed to it by the `check` fixture."""

    def __init__(
        self, plan: CheckPlan, quiescence_s: float, catalogue: Catalogue | None = None
    ) -> None:
        self.id = plan.id
        self.plan = plan
        self.timeout_s = plan.timeout_s
        self.quiescence_s = quiescence_s
        self.catalogue = catalogue if catalogue is not None else Catalogue(*HARNESS)
        self.exchanges: list[Exchange] = []
        self.outputs: list[Captured] = []
        self.diagnoses: list[Diagnosis] = []
        self.reproduce: list[str] = []
        self.hang: Hang | None = None

    def exchange(
        self,
        label: str,
        *,
        sent: bytes | None = None,
        received: bytes | None = None,
        expected: bytes | None = None,
        elapsed_s: float | None = None,
        note: str = "",
    ) -> None:
        if len(self.exchanges) >= MAX_EXCHANGES:
            return
        self.exchanges.append(
            Exchange(
                label=label,
                sent=clip(sent),
                received=clip(received),
                expected=clip(expected),
                elapsed_s=elapsed_s,
                note=note[:MAX_EVIDENCE],
                sent_len=None if sent is None else len(sent),
                received_len=None if received is None else len(received),
                expected_len=None if expected is None else len(expected),
            )
        )

    def output(self, *captured: Captured) -> None:
        room = MAX_OUTPUTS - len(self.outputs)
        self.outputs.extend([c for c in captured if c.total_bytes][: max(0, room)])

    def explain(self, code: str, evidence: str = "", **fields: object) -> None:
        """Record a diagnosis from the catalogue: its words, filled with `fields`."""
        try:
            entry = self.catalogue[code]
            text = entry.render(**fields)
        except KeyError as exc:
            raise HarnessError(f"diagnosis {code!r}: {exc}; add it to the catalogue") from exc
        if not self.diagnosed(code):
            self.diagnoses.append(
                Diagnosis(code, text, evidence[:MAX_EVIDENCE], entry.quotes_expected)
            )

    def diagnosed(self, *codes: str) -> bool:
        if not codes:
            return bool(self.diagnoses)
        return any(d.code in codes for d in self.diagnoses)

    def commands(self, *lines: str) -> None:
        for line in lines:
            if line not in self.reproduce and len(self.reproduce) < MAX_COMMANDS:
                self.reproduce.append(line)

    def fail(self, message: str) -> NoReturn:
        """Fail the check: the student's code did something wrong (the message says what)."""
        pytest.fail(message, pytrace=False)

    def hung(self, kind: Hang, message: str) -> NoReturn:
        """Fail as a hang: blocked (nothing can wake it) or busy (running at the limit)."""
        self.hang = kind
        pytest.fail(message, pytrace=False)

    def result(
        self, outcome: Outcome, *, duration_s: float, message: str, trace: str = ""
    ) -> CheckResult:
        if outcome is Outcome.FAILED and self.hang is not None:
            outcome = Outcome.TIMEOUT
        return CheckResult(
            check_id=self.id,
            outcome=outcome,
            duration_s=duration_s,
            message=message,
            exchanges=tuple(self.exchanges),
            outputs=tuple(self.outputs),
            diagnoses=tuple(self.diagnoses),
            reproduce=tuple(self.reproduce),
            hang=self.hang if outcome is Outcome.TIMEOUT else None,
            trace=trace,
        )
