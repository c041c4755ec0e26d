"""Medians with their spread, and how they are printed: every figure of the bench is one."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spread:
    """The values of one figure over several runs; reported as median and min-max."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def n(self) -> int:
        return len(self.values)

    def as_json(self, *, digits: int = 3) -> dict[str, object]:
        return {
            "median": round(self.median, digits),
            "min": round(self.low, digits),
            "max": round(self.high, digits),
            "runs": [round(v, digits) for v in self.values],
        }


def spread(values: Iterable[float | None]) -> Spread | None:
    """The spread of the values that were measured; None when none were."""
    kept = tuple(v for v in values if v is not None)
    return Spread(kept) if kept else None


def number(value: float | None, *, digits: int = 3) -> str:
    """A figure as printed: fixed digits, '-' when it was not measured."""
    return "-" if value is None else f"{value:.{digits}f}"


def min_max(found: Spread | None, *, digits: int = 3) -> str:
    """'low-high' for several runs, 'one run' for one, '-' for none."""
    if found is None:
        return "-"
    if found.n == 1:
        return "one run"
    return f"{number(found.low, digits=digits)}-{number(found.high, digits=digits)}"
