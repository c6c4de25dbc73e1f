"""publish, collect and return through nbgrader's exchange, with students as real users.

Two system users play the students; each of their steps runs as that user
(tests/exchange_student.py), so what they can and cannot read is the operating
system's verdict, not ours. Needs root (to make the users), as CI has.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import invoker
from tests.factory import course_config, make_repo, write_config
from tests.factory import score as gradebook_score
from tests.students import RIGHT, as_student, make_user

STUDENTS = ("ag-anna", "ag-bo")
PARTLY = {"add": "def add(a, b):\n    return a + b"}

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and not os.environ.get("CI"), reason="needs root to create students"
)


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    for user in STUDENTS:
        make_user(user)
    repo = make_repo(tmp_path_factory.mktemp("exchange") / "repo")
    cli = invoker(repo)
    exchange = Path(tempfile.mkdtemp(prefix="ag-exchange-"))
    assert cli("release", "demo", "a1").exit_code == 0
    published = cli("publish", "demo", "a1", "--exchange", str(exchange))
    anna, bo = STUDENTS
    steps = {
        "fetch": as_student(anna, "fetch", exchange),
        "fetched": (Path("/home") / anna / "a1" / "demo.ipynb").read_text(),
        "blank": as_student(anna, "submit", exchange),  # an early, blank submission
    }
    as_student(anna, "answer", exchange, json.dumps(RIGHT))
    steps["submit"] = as_student(anna, "submit", exchange)
    as_student(bo, "fetch", exchange)
    as_student(bo, "answer", exchange, json.dumps(PARTLY))
    as_student(bo, "submit", exchange)
    inbound = exchange / "demo" / "inbound"
    steps["forge"] = as_student(
        bo, "write", exchange, str(inbound / f"{anna}+a1+2999-01-01 00:00:00.000000 UTC+x")
    )
    steps["list_inbound"] = as_student(bo, "list", exchange, str(inbound))
    history = sorted(p.name for p in inbound.iterdir())
    collected = cli("collect", "demo", "a1", "--exchange", str(exchange))
    graded = cli("grade", "demo", "a1", str(repo / "assignments/demo/submitted"))
    feedback = cli("feedback", "demo", "a1")
    returned = cli("return", "demo", "a1", "--exchange", str(exchange))
    steps["list_feedback"] = as_student(bo, "list", exchange, str(exchange / "demo" / "feedback"))
    fetched = {user: as_student(user, "fetch_feedback", exchange) for user in STUDENTS}
    yield {
        "repo": repo,
        "exchange": exchange,
        "published": published,
        "steps": steps,
        "history": history,
        "collected": collected,
        "graded": graded,
        "feedback": feedback,
        "returned": returned,
        "fetched": fetched,
    }
    shutil.rmtree(exchange, ignore_errors=True)


def score(cycle: dict, student: str) -> float:
    return gradebook_score(
        {"db": f"sqlite:///{cycle['repo'] / 'assignments/demo/gradebook.db'}"}, student
    )


def text_of(page: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.read_text()))


def test_students_fetch_the_release_without_solutions(cycle: dict) -> None:
    assert cycle["published"].exit_code == 0, cycle["published"].output
    assert cycle["steps"]["fetch"]["files"] == ["a1/demo.ipynb"]
    text = cycle["steps"]["fetched"]
    assert "raise NotImplementedError" in text and "return a * b" not in text


def test_a_student_cannot_list_other_submissions(cycle: dict) -> None:
    assert cycle["steps"]["list_inbound"] == {"ok": False, "error": "permission denied"}


def test_a_submission_made_under_another_name_is_refused(cycle: dict) -> None:
    assert cycle["steps"]["forge"]["ok"]  # anyone may write into inbound/...
    output = cycle["collected"].output
    assert cycle["collected"].exit_code == 0, output
    assert "names ag-anna but was made by ag-bo" in output  # ... but it is not collected
    assert score(cycle, "ag-anna") == 5.0


def test_the_newest_submission_is_graded_and_the_earlier_stays_in_the_history(cycle: dict) -> None:
    assert sum(name.startswith("ag-anna+a1+") for name in cycle["history"]) == 3  # 2 + forged
    assert (
        len([n for n in os.listdir(cycle["exchange"] / "demo" / "inbound") if "ag-anna" in n]) == 2
    )
    assert score(cycle, "ag-anna") == 5.0
    assert score(cycle, "ag-bo") == 2.0


def test_each_student_fetches_only_their_own_feedback(cycle: dict) -> None:
    assert cycle["returned"].exit_code == 0, cycle["returned"].output
    assert "to 2 students" in cycle["returned"].output
    for user in STUDENTS:
        fetched = cycle["fetched"][user]
        assert fetched["ok"], fetched
        pages = [f for f in fetched["files"] if f.endswith(".html")]
        assert len(pages) == 1, fetched
    anna_page = text_of(next(Path("/home/ag-anna").rglob("feedback/*/demo.html")))
    bo_page = text_of(next(Path("/home/ag-bo").rglob("feedback/*/demo.html")))
    assert "test_mul Score: 3.0 / 3.0" in anna_page and "return a * b" in anna_page
    assert "test_mul Score: 0.0 / 3.0" in bo_page and "return a * b" not in bo_page


def test_returned_feedback_cannot_be_listed_by_students(cycle: dict) -> None:
    assert cycle["steps"]["list_feedback"] == {"ok": False, "error": "permission denied"}


def test_a_submission_after_the_due_date_is_kept_and_marked_late(cycle: dict) -> None:
    """Runs last: it moves the due date of the module's course to before Bo submitted."""
    import datetime as dt

    from nbgrader.api import Gradebook

    repo = cycle["repo"]
    submitted = repo / "assignments/demo/submitted"
    stamp = (submitted / "ag-bo" / "a1" / "timestamp.txt").read_text().strip()
    handed_in = dt.datetime.fromisoformat(stamp.replace(" UTC", "+00:00"))
    config = course_config()
    config["assignments"][0]["due"] = (handed_in - dt.timedelta(hours=30)).isoformat()
    config["assignments"][0]["late_policy"] = {"penalty_per_day": 0.1, "max_days_late": 30}
    write_config(repo, config)
    regraded = invoker(repo)("grade", "demo", "a1", str(submitted), "--student", "ag-bo", "--force")
    assert regraded.exit_code == 0, regraded.output
    with Gradebook(f"sqlite:///{repo / 'assignments/demo/gradebook.db'}", "demo") as gradebook:
        late = gradebook.find_submission("a1", "ag-bo")
        # two started days late at a tenth of the score a day
        assert late.score == 2.0 and late.late_submission_penalty == pytest.approx(0.4)
