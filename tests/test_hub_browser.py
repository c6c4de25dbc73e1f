"""The whole assignment cycle on a real hub, in a real browser.

`autograder hub` (JupyterHub, configurable-http-proxy, nbgrader's exchange) is started on
127.0.0.1 and Debian's Chromium is driven by Playwright, as the students and the teacher
would use them:

1. two students sign in (the first sign-in sets the password);
2. one opens a lecture from the book's "JupyterHub" button and runs it;
3. both fetch the assignment in the Assignments tab, answer it in the notebook (one
   correctly, one partly), press Validate, and submit;
4. the teacher collects, grades and returns feedback (`autograder collect | grade |
   feedback | return`, as on the hub machine) and sees the submissions in the course's
   formgrader on the hub;
5. each student fetches their feedback in the Assignments tab and sees their own score,
   and nothing of the other's work.

Screenshots of each step go to build/screenshots/hub/ (not committed). The steps build on
each other, so they are one test; each step's screenshot and assertion name the step.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.browser import SCREENSHOTS as BROWSER_SCREENSHOTS
from tests.browser import chromium, served
from tests.conftest import invoker
from tests.factory import make_repo
from tests.hub import PASSWORD, Hub

SCREENSHOTS = BROWSER_SCREENSHOTS / "hub"
pytest.importorskip("playwright.sync_api")  # tests/browser.py drives it
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        (os.geteuid() != 0 or shutil.which("configurable-http-proxy") is None)
        and not os.environ.get("CI"),
        reason="needs root, chromium and configurable-http-proxy",
    ),
]
STUDENTS = ("hb-anna", "hb-bo")
TEACHER = "hb-teach"
ROSTER = "First name,Last name,Username\nAnna,Ek,hb-anna\nBo,Ås,hb-bo\n"


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A course repository with a built book pointing at the hub, the assignment published,
    the hub running, and the book served on 127.0.0.1."""
    place = Path(tempfile.mkdtemp(prefix="ag-hubui-"))
    place.chmod(0o755)
    repo = make_repo(tmp_path_factory.mktemp("hubui") / "repo")
    config = yaml.safe_load((repo / "course_configs/demo.yml").read_text())
    config["teachers"] = [TEACHER]
    (repo / "course_configs/demo.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    cli = invoker(repo)
    (place / "roster.csv").write_text(ROSTER, encoding="utf-8")
    assert cli("roster", "import", "demo", str(place / "roster.csv")).exit_code == 0
    exchange = place / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    for name in (*STUDENTS, TEACHER):  # a home left by an earlier run is started afresh
        subprocess.run(["userdel", "--remove", name], capture_output=True)
    hub = Hub(repo, place / "state", exchange)
    os.environ["AUTOGRADER_HUB_URL"] = hub.base
    try:
        built = cli("build")
    finally:
        del os.environ["AUTOGRADER_HUB_URL"]
    assert built.exit_code == 0, built.output
    assert cli("publish", "demo", "a1", "--exchange", str(exchange)).exit_code == 0
    hub.start()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with served(repo / "book/_build/html") as book:
            yield {"hub": hub, "repo": repo, "exchange": exchange, "book": book, "cli": cli}
    finally:
        hub.stop()
        shutil.rmtree(place, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium() as instance:
        yield instance


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def sign_in(browser, hub: Hub, user: str):
    """A new browser (its own cookies) signs the user in; their JupyterLab opens."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{hub.base}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=180_000)
    page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=60_000)
    return page


def wait_idle(page) -> None:
    """Until the notebook's kernel has started and is idle (JupyterLab's status bar)."""
    page.wait_for_selector("#jp-main-statusbar >> text=/\\| Idle/", timeout=120_000)


def menu(page, top: str, item: str) -> None:
    page.click(f".lm-MenuBar-itemLabel:text-is('{top}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")


def assignments_tab(page):
    menu(page, "Nbgrader", "Assignment List")
    page.wait_for_selector("#released_assignments_list", timeout=60_000)
    return page


def answer(page, function: str, body: str) -> None:
    """Type the answer into the cell that defines `function`, as a student would."""
    cell = page.locator(".jp-CodeCell", has_text=f"def {function}(").first
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(body)


def validate(page) -> str:
    page.locator(".validate-button:visible").first.click()  # nbgrader's toolbar button
    dialog = page.wait_for_selector("#validation-message", timeout=240_000)
    return str(dialog.inner_text())


def open_released_notebook(page, hub: Hub, user: str) -> None:
    page.goto(f"{hub.base}/user/{user}/lab/tree/demo/a1/demo.ipynb")
    page.wait_for_selector(".jp-CodeCell >> text=def add(", timeout=120_000)
    wait_idle(page)


ANSWERS = {
    # Anna answers both; Bo gets `mul` wrong (2 of 5 points).
    "hb-anna": {
        "add": "def add(a, b):\n    return a + b  # anna-was-here\n",
        "mul": "def mul(a, b):\n    return a * b\n",
    },
    "hb-bo": {
        "add": "def add(a, b):\n    return a + b  # bo-was-here\n",
        "mul": "def mul(a, b):\n    return a + b\n",
    },
}


def work_on_the_assignment(page, hub: Hub, user: str) -> str:
    """Fetch in the Assignments tab, answer, save, Validate, submit; Validate's verdict."""
    assignments_tab(page)
    page.click("#released_assignments_list button:has-text('Fetch')")
    page.wait_for_selector("#fetched_assignments_list >> text=a1", timeout=60_000)
    shot(page, f"{user}-1-fetched")
    open_released_notebook(page, hub, user)
    for function, body in ANSWERS[user].items():
        answer(page, function, body)
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1000)
    verdict = validate(page)
    shot(page, f"{user}-2-validate")
    page.click(".jp-Dialog button:has-text('Ok')")
    assignments_tab(page)
    page.click("#fetched_assignments_list button:has-text('Submit')")
    page.wait_for_selector("#submitted_assignments_list >> text=a1", timeout=60_000)
    shot(page, f"{user}-3-submitted")
    return verdict


def read_feedback(page, hub: Hub, user: str) -> str:
    """Fetch Feedback in the Assignments tab, then open the page it brought home."""
    assignments_tab(page)
    page.click("#submitted_assignments_list button:has-text('Fetch Feedback')")
    page.wait_for_selector("#submitted_assignments_list >> text=(view feedback)", timeout=60_000)
    shot(page, f"{user}-4-feedback-fetched")
    (html,) = Path(f"/home/{user}/demo/a1/feedback").glob("*/demo.html")
    relative = html.relative_to(f"/home/{user}")
    page.goto(f"{hub.base}/user/{user}/files/{relative}")
    shot(page, f"{user}-5-feedback")
    return str(page.inner_text("body"))


def test_the_whole_cycle_in_a_browser(setting, browser) -> None:
    pages: list = []
    try:
        cycle(setting, browser, pages)
    except BaseException:
        for number, page in enumerate(pages):  # where each browser was when it failed
            shot(page, f"failed-{number}")
        raise


def cycle(setting: dict, browser, pages: list) -> None:
    hub, cli = setting["hub"], setting["cli"]
    anna = sign_in(browser, hub, "hb-anna")
    pages.append(anna)
    shot(anna, "hb-anna-0-signed-in")
    bo = sign_in(browser, hub, "hb-bo")
    pages.append(bo)

    # A lecture, from the book's button, runs in Anna's JupyterLab.
    anna.goto(setting["book"] + "demo/01-demo.html")
    shot(anna, "hb-anna-lecture-in-the-book")
    with anna.context.expect_page() as opened:  # the theme opens links in a new tab
        anna.click("a[href*='user-redirect/autograder/lectures/demo/01-demo']")
    anna.close()
    anna = opened.value
    pages[0] = anna
    anna.wait_for_selector(".jp-RenderedMarkdown h1:has-text('Demo lecture')", timeout=120_000)
    wait_idle(anna)
    menu(anna, "Run", "Run All Cells")
    anna.wait_for_selector(".jp-OutputArea-output >> text=45", timeout=120_000)
    shot(anna, "hb-anna-lecture-ran")
    assert Path("/home/hb-anna/lectures/demo/01-demo.ipynb").is_file()

    verdicts = {
        user: work_on_the_assignment(page, hub, user)
        for user, page in (("hb-anna", anna), ("hb-bo", bo))
    }
    assert "Success! Your notebook passes all the tests." in verdicts["hb-anna"]
    assert "1 of 2 visible tests pass" in verdicts["hb-bo"], verdicts["hb-bo"]
    assert "FAIL test_mul" in verdicts["hb-bo"] and "PASS test_add" in verdicts["hb-bo"]

    exchange = ["--exchange", str(setting["exchange"])]
    assert cli("collect", "demo", "a1", *exchange).exit_code == 0
    submitted = setting["repo"] / "assignments/demo/submitted"
    graded = cli("grade", "demo", "a1", str(submitted))
    assert graded.exit_code == 0, graded.output
    assert cli("feedback", "demo", "a1").exit_code == 0
    assert cli("return", "demo", "a1", *exchange).exit_code == 0

    # The teacher reviews the grades in the course's formgrader on the hub.
    teacher = sign_in(browser, hub, TEACHER)
    pages.append(teacher)
    teacher.goto(f"{hub.base}/services/demo/formgrader/manage_submissions/a1")
    teacher.wait_for_selector("text=hb-bo", timeout=120_000)
    shot(teacher, "hb-teach-formgrader")
    rows = teacher.inner_text("body")
    assert "hb-anna" in rows and "hb-bo" in rows, rows
    assert "5 / 5" in rows and "2 / 5" in rows, rows

    seen = {
        "hb-anna": read_feedback(anna, hub, "hb-anna"),
        "hb-bo": read_feedback(bo, hub, "hb-bo"),
    }
    assert "(Score: 5.0 / 5.0)" in seen["hb-anna"] and "anna-was-here" in seen["hb-anna"]
    assert "(Score: 2.0 / 5.0)" in seen["hb-bo"] and "bo-was-here" in seen["hb-bo"]
    assert "bo-was-here" not in seen["hb-anna"] and "anna-was-here" not in seen["hb-bo"]

    # Bo's feedback page, asked for by Anna's browser, is refused.
    (bos,) = Path("/home/hb-bo/demo/a1/feedback").glob("*/demo.html")
    response = anna.goto(f"{hub.base}/user/hb-bo/files/{bos.relative_to('/home/hb-bo')}")
    shot(anna, "hb-anna-6-asks-for-bos-feedback")
    assert "bo-was-here" not in anna.content()
    assert response is not None and response.status == 403
