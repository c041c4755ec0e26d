"""Fixtures of the http_server checks (trusted code of the assignment).

The generic fixtures (`check`, `student_server`, `servers`, `run_config`) come from the
grader's harness; this file hands it the assignment's diagnoses. The grader's HTTP
client and its verdicts live in wire.py, its reading of a response in responses.py.
"""

from __future__ import annotations

import pytest
from diagnoses import CATALOGUE

from grader.harness import Catalogue


@pytest.fixture
def catalogue() -> Catalogue:
    """Every diagnosis of this assignment (diagnoses.py); the harness looks codes up here."""
    return CATALOGUE
