"""The report page in a real browser (Debian's Chromium, driven by Playwright): no
console errors, nothing fetched from the network, details that open by mouse and by
keyboard, no horizontal scroll on a 375 px phone. Screenshots are kept in
tests/artifacts/ (not committed) for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import ARTIFACTS, CHROMIUM, open_page
from unit.report.test_report import EVIL, fixed_result, sample, tiny_assignment

from grader.model import Assignment
from grader.report import render_html

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, echo_assignment: Assignment) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    tiny = tiny_assignment()
    made = {
        "instructor": render_html(fixed_result(tiny, reveal=True), assignment=tiny, reveal=True),
        "student": render_html(fixed_result(tiny, reveal=False), assignment=tiny, reveal=False),
        "hostile": render_html(sample(echo_assignment), assignment=echo_assignment, reveal=True),
    }
    paths = {}
    for name, html in made.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(html, encoding="utf-8")
    return paths


@pytest.mark.parametrize("name", ["instructor", "student", "hostile"])
@pytest.mark.parametrize("width", [1280, 375])
def test_page_loads_cleanly_offline_and_fits(
    browser: object, pages: dict[str, Path], name: str, width: int
) -> None:
    page, errors, requests = open_page(browser, pages[name], width)
    try:
        for summary in page.query_selector_all("details > summary"):  # type: ignore[attr-defined]
            summary.click()  # everything open: the widest the page gets
        assert errors == []
        assert requests == [pages[name].as_uri()]  # no fonts, scripts or images fetched
        assert page.evaluate("document.querySelectorAll('script').length") == 0  # type: ignore[attr-defined]
        assert page.evaluate("document.title") != ""  # type: ignore[attr-defined]
        overflow = page.evaluate(  # type: ignore[attr-defined]
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{overflow} px of horizontal scroll at {width} px"
        if name == "hostile":
            assert page.evaluate("window.alert.toString()").endswith("{ [native code] }")  # type: ignore[attr-defined]
            assert EVIL in page.inner_text("h1 + p")  # type: ignore[attr-defined]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
    finally:
        page.close()  # type: ignore[attr-defined]


def test_details_open_by_click_and_by_keyboard(browser: object, pages: dict[str, Path]) -> None:
    page, errors, _ = open_page(browser, pages["instructor"], 1280)
    try:
        # from the top, Tab reaches the skip link first, which jumps to the checks
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        assert page.evaluate("document.activeElement.className") == "skip"  # type: ignore[attr-defined]
        assert page.is_visible(".skip")  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        assert page.evaluate("location.hash") == "#checks"  # type: ignore[attr-defined]

        is_open = "id => document.querySelector('#check-' + id + ' details').open"
        assert page.evaluate(is_open, "echo_long") is False  # type: ignore[attr-defined]
        assert not page.is_visible("#check-echo_long .body")  # type: ignore[attr-defined]
        page.click("#check-echo_long summary")  # type: ignore[attr-defined]
        assert page.evaluate(is_open, "echo_long") is True  # type: ignore[attr-defined]
        assert page.is_visible("#check-echo_long .diag")  # type: ignore[attr-defined]

        page.focus("#check-client_hangs summary")  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        assert page.evaluate(is_open, "client_hangs") is True  # type: ignore[attr-defined]
        page.keyboard.press("Space")  # type: ignore[attr-defined]
        assert page.evaluate(is_open, "client_hangs") is False  # type: ignore[attr-defined]

        assert errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-opened.png"), full_page=True)  # type: ignore[attr-defined]
    finally:
        page.close()  # type: ignore[attr-defined]


def test_headings_and_labels_for_screen_readers(browser: object, pages: dict[str, Path]) -> None:
    page, _, _ = open_page(browser, pages["instructor"], 1280)
    try:
        levels = page.evaluate(  # type: ignore[attr-defined]
            "[...document.querySelectorAll('h1,h2,h3')].map(h => +h.tagName[1])"
        )
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))  # no skipped level
        assert page.evaluate("document.documentElement.lang") == "en"  # type: ignore[attr-defined]
        unlabelled = page.evaluate(  # type: ignore[attr-defined]
            "[...document.querySelectorAll('section, ul.checks')]"
            ".filter(e => !document.getElementById(e.getAttribute('aria-labelledby') || '-'))"
            ".length"
        )
        assert unlabelled == 0
        # a badge says its state in words, not only in colour
        assert page.inner_text("#check-echo_long .badge").strip().endswith("FAIL")  # type: ignore[attr-defined]
    finally:
        page.close()  # type: ignore[attr-defined]
