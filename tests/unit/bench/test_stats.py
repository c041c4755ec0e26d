from __future__ import annotations

from bench.stats import Spread, min_max, number, spread


def test_spread_keeps_only_what_was_measured() -> None:
    found = spread([None, 1.0, 3.0, 2.0])
    assert found == Spread((1.0, 3.0, 2.0))
    assert (found.median, found.low, found.high, found.n) == (2.0, 1.0, 3.0, 3)
    assert spread([None]) is None


def test_figures_print_with_fixed_digits_and_dashes_for_nothing() -> None:
    assert number(0.5) == "0.500"
    assert number(12.345, digits=1) == "12.3"
    assert number(None) == "-"
    assert min_max(None) == "-"
    assert min_max(Spread((0.4,))) == "one run"
    assert min_max(Spread((0.3, 0.1, 0.2))) == "0.100-0.300"


def test_json_keeps_every_run() -> None:
    assert Spread((0.1234, 0.3)).as_json() == {
        "median": 0.212,
        "min": 0.123,
        "max": 0.3,
        "runs": [0.123, 0.3],
    }
