"""Shared fixtures; the helpers they use live in support.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import CHROMIUM, CHROMIUM_ARGS, EXAMPLES, EXAMPLES_HTTP, make_repo

from grader import assignment as assignment_mod
from grader.model import Assignment, GradeResult
from grader.pipeline import grade
from grader.settings import Settings


@pytest.fixture(scope="session")
def echo_assignment() -> Assignment:
    return assignment_mod.load("echo_sockets")


@pytest.fixture(scope="session")
def http_assignment() -> Assignment:
    return assignment_mod.load("http_server")


@pytest.fixture
def example_repo(tmp_path: Path) -> Callable[[str], Path]:
    def build(name: str) -> Path:
        return make_repo(tmp_path / name, EXAMPLES / name)

    return build


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield context
        context.close()


@pytest.fixture(scope="session")
def gradings() -> dict[str, GradeResult]:
    """Each example's grading by name, shared by the whole session: an example is graded
    once, whichever module asks first (test_sandbox adds its hostile ones), and the verdict
    table (e2e/test_verdict_table.py) reads them all without grading anything again."""
    return {}


@pytest.fixture(scope="session")
def graded(
    tmp_path_factory: pytest.TempPathFactory,
    echo_assignment: Assignment,
    gradings: dict[str, GradeResult],
) -> Callable[[str], GradeResult]:
    """Grade an example once per session (a real repo in tmp), as instructors see it."""

    def get(name: str) -> GradeResult:
        if name not in gradings:
            repo = make_repo(tmp_path_factory.mktemp("examples") / name, EXAMPLES / name)
            gradings[name] = grade(
                str(repo), assignment=echo_assignment, settings=Settings(reveal=True)
            )
        return gradings[name]

    return get


@pytest.fixture(scope="session")
def graded_http(
    tmp_path_factory: pytest.TempPathFactory,
    http_assignment: Assignment,
    gradings: dict[str, GradeResult],
) -> Callable[[str], GradeResult]:
    """Grade an http_server example (tests/examples_http/) once per session, as `graded`
    does echo_sockets' ones; cached in `gradings` as "http_server/NAME"."""

    def get(name: str) -> GradeResult:
        key = f"http_server/{name}"
        if key not in gradings:
            repo = make_repo(tmp_path_factory.mktemp("examples_http") / name, EXAMPLES_HTTP / name)
            gradings[key] = grade(
                str(repo), assignment=http_assignment, settings=Settings(reveal=True)
            )
        return gradings[key]

    return get
