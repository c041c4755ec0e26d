"""Shared fixtures; the helpers they use live in support.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import EXAMPLES, make_repo

from grader import assignment as assignment_mod
from grader.model import Assignment


@pytest.fixture(scope="session")
def echo_assignment() -> Assignment:
    return assignment_mod.load("echo_sockets")


@pytest.fixture
def example_repo(tmp_path: Path) -> Callable[[str], Path]:
    def build(name: str) -> Path:
        return make_repo(tmp_path / name, EXAMPLES / name)

    return build
