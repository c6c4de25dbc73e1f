"""The built book in a real browser: Debian's headless Chromium driven by Playwright.

A small book with the four course ids (one tiny lecture each, one assignment) is built
once and served on 127.0.0.1. Screenshots land in build/screenshots/ (CI artifacts).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import nbformat
import pytest
import yaml

from tests.browser import CHROMIUM, SCREENSHOTS, chromium, served
from tests.conftest import invoker
from tests.factory import add_course, make_repo

COURSES = {
    "ml1": "Machine Learning, part 1",
    "mr": "Mixed Reality in Industrial Applications",
    "rl1": "Reinforcement Learning, part 1",
    "ai-intro": "Introduction to Artificial Intelligence",
}

pytest.importorskip("playwright.sync_api")  # tests/browser.py drives it
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a book built, then 15 s or more per test
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="no chromium installed"
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = make_repo(tmp_path_factory.mktemp("browser") / "repo", course_id="rl1")
    config = yaml.safe_load((root / "course_configs/rl1.yml").read_text())
    config["title"] = {"en": COURSES["rl1"], "sv": "Reinforcement learning del 1"}
    (root / "course_configs/rl1.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    for cid in ("ml1", "mr", "ai-intro"):
        add_course(root, cid, COURSES[cid])
    result = invoker(root)("build")
    assert result.exit_code == 0, result.output
    with served(root / "book/_build/html") as base:
        yield base, root


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium() as instance:
        yield instance


class Visit:
    """One page load, recording console errors, failed requests and every URL asked for."""

    def __init__(self, browser, base: str) -> None:
        self.page = browser.new_page()
        self.base = base
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on(
            "response", lambda r: r.status >= 400 and self.errors.append(f"{r.status}: {r.url}")
        )

        def route(route) -> None:
            self.requests.append(route.request.url)
            host = urlparse(route.request.url).hostname
            if route.request.url.startswith("data:") or host == "127.0.0.1":
                route.continue_()
            else:
                route.abort()

        self.page.route("**/*", route)

    def open(self, path: str):
        self.page.goto(urljoin(self.base, path), wait_until="networkidle")
        return self.page


def pages(root: Path) -> list[str]:
    toc = yaml.safe_load((root / "book/_toc.yml").read_text())
    docs = [toc["root"]]
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            docs.append(chapter["file"])
            docs += [s["file"] for s in chapter.get("sections", [])]
    return [f"{d}.html" for d in docs]


def test_landing_page_lists_the_four_courses(site, browser) -> None:
    base, _ = site
    visit = Visit(browser, base)
    page = visit.open("index.html")
    text = page.inner_text("article")
    for title in COURSES.values():
        assert title in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "landing.png"), full_page=True)
    assert not visit.errors


def test_every_page_opens_without_errors_or_broken_links(site, browser) -> None:
    base, root = site
    for path in pages(root):
        visit = Visit(browser, base)
        page = visit.open(path)
        assert not visit.errors, f"{path}: {visit.errors}"
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            url = urlparse(href)
            if url.hostname != "127.0.0.1" or not url.path.endswith((".html", ".ipynb", ".md")):
                continue
            target = root / "book/_build/html" / url.path.lstrip("/")
            assert target.is_file(), f"{path}: broken link {href}"
        visit.page.close()


def test_maths_is_typeset(site, browser) -> None:
    base, _ = site
    visit = Visit(browser, base)
    page = visit.open("rl1/01-demo.html")
    page.wait_for_selector("mjx-container", timeout=15000)
    body = page.inner_text("article")
    assert "e^{i" not in body and "$" not in body
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "lecture.png"), full_page=True)
    assert not visit.errors


def test_search_finds_a_lecture_by_a_word_in_it(site, browser) -> None:
    base, _ = site
    visit = Visit(browser, base)
    page = visit.open("search.html")
    box = page.locator("input[name='q']:visible").first
    box.fill("mrkeyword")
    box.press("Enter")
    page.wait_for_selector("#search-results ul.search li", timeout=15000)
    results = page.inner_text("#search-results")
    assert "Mixed Reality in Industrial Applications: first lecture" in results


def test_download_links_give_valid_notebooks(site, browser) -> None:
    base, root = site
    found = 0
    for path in pages(root):
        visit = Visit(browser, base)
        page = visit.open(path)
        for href in page.eval_on_selector_all("a[href$='.ipynb']", "els => els.map(e => e.href)"):
            response = page.request.get(href)
            assert response.ok, href
            nbformat.validate(nbformat.reads(response.text(), as_version=4))
            found += 1
        visit.page.close()
    assert found >= 5  # four lectures and one released assignment


def test_no_request_leaves_the_machine(site, browser) -> None:
    base, root = site
    asked: list[str] = []
    for path in pages(root):
        visit = Visit(browser, base)
        visit.open(path)
        asked += visit.requests
        visit.page.close()
    outside = [u for u in asked if not re.match(r"^(data:|http://127\.0\.0\.1:)", u)]
    assert asked and not outside


def test_quiz_checks_a_choice_and_a_number_offline(site, browser) -> None:
    base, _ = site
    visit = Visit(browser, base)
    page = visit.open("rl1/01-demo.html")
    choice = page.locator(".ag-q").nth(1)
    choice.locator("input[type=radio]").nth(1).check()
    choice.locator(".ag-check").click()
    assert choice.locator(".ag-verdict").inner_text() == "Not quite."
    assert choice.locator(".ag-why[data-for='1']").is_visible()  # why that answer is wrong
    choice.locator("input[type=radio]").nth(0).check()
    choice.locator(".ag-check").click()
    assert choice.locator(".ag-verdict").inner_text() == "Correct."
    assert not choice.locator(".ag-why[data-for='1']").is_visible()
    number = page.locator(".ag-q").nth(0)
    number.locator("input[type=text]").fill("44")
    number.locator(".ag-check").click()
    assert number.locator(".ag-verdict").inner_text() == "Not quite."
    assert not number.locator(".ag-why").is_visible()  # it would give the answer away
    number.locator("input[type=text]").fill("45")
    number.locator(".ag-check").click()
    assert number.locator(".ag-verdict").inner_text() == "Correct."
    assert number.locator(".ag-why").is_visible()
    assert not visit.errors


def test_an_exercise_solution_runs_and_stays_folded_until_opened(site, browser) -> None:
    base, _ = site
    visit = Visit(browser, base)
    page = visit.open("rl1/01-demo.html")
    output = page.get_by_text("squares 14")  # printed by the executed solution cell
    assert output.count() == 1 and not output.is_visible()
    page.locator(".dropdown .admonition-title", has_text="Solution").click()
    output.wait_for(state="visible", timeout=5000)
    assert page.get_by_text("The squares add up to 14.").is_visible()
    assert not visit.errors
