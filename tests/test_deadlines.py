"""The deadline service: each assignment collected, graded and returned once it closes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from autograder.course.config import load_all
from autograder.course.paths import Repo
from autograder.delivery.deadlines import UTC, due_now
from tests.conftest import invoker
from tests.factory import course_config, make_repo, score, write_config
from tests.students import RIGHT, as_student, make_user

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def courses_due(repo: Path, **assignment: object) -> list[str]:
    config = course_config()
    config["assignments"][0].update(assignment)
    write_config(repo, config)
    courses = load_all(Repo(repo))
    folders = {c.id: Repo(repo).course_dir(c.id) for c in courses}
    return [d.assignment for d in due_now(courses, folders, NOW)]


def test_an_assignment_is_due_once_its_date_has_passed(repo: Path) -> None:
    assert courses_due(repo, due="2027-03-01T11:00:00+00:00") == ["a1"]
    assert courses_due(repo, due="2027-03-01T13:00:00+00:00") == []
    assert courses_due(repo) == []  # no due date: the teacher decides


def test_the_late_window_is_waited_for(repo: Path) -> None:
    late = {"penalty_per_day": 0.1, "max_days_late": 2}
    assert courses_due(repo, due="2027-02-28T11:00:00+00:00", late_policy=late) == []
    assert courses_due(repo, due="2027-02-27T11:00:00+00:00", late_policy=late) == ["a1"]


def test_a_teacher_can_keep_an_assignment_to_themselves(repo: Path) -> None:
    assert courses_due(repo, due="2027-03-01T11:00:00+00:00", grade_at_deadline=False) == []


def test_a_handled_assignment_is_not_handled_again(repo: Path) -> None:
    record = repo / "assignments/demo/deadlines/a1.json"
    record.parent.mkdir(parents=True)
    record.write_text("{}")
    assert courses_due(repo, due="2027-03-01T11:00:00+00:00") == []


@pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"), reason="needs root")
def test_a_closed_assignment_is_collected_graded_and_returned(tmp_path: Path) -> None:
    user = "dl-anna"
    make_user(user)
    repo = make_repo(tmp_path / "repo")
    config = course_config()
    config["assignments"][0]["due"] = "2020-01-01T00:00:00+00:00"
    write_config(repo, config)
    exchange = Path(tempfile.mkdtemp(prefix="ag-deadline-"))
    try:
        cli = invoker(repo)
        assert cli("release", "demo", "a1").exit_code == 0
        assert cli("publish", "demo", "a1", "--exchange", str(exchange)).exit_code == 0
        as_student(user, "fetch", exchange)
        as_student(user, "answer", exchange, json.dumps(RIGHT))
        as_student(user, "submit", exchange)
        first = cli("deadlines", "--once", "--exchange", str(exchange))
        assert first.exit_code == 0, first.output
        for step in ("collect", "grade", "feedback", "return", "report"):
            assert f"demo/a1: {step}: exit 0" in first.output, first.output
        db = f"sqlite:///{repo / 'assignments/demo/gradebook.db'}"
        assert score({"db": db}, user) == 5.0
        assert any((exchange / "demo" / "feedback").glob("*.html"))  # returned
        record = json.loads((repo / "assignments/demo/deadlines/a1.json").read_text())
        assert record["ok"] and [s["step"] for s in record["steps"]][-1] == "report"
        again = cli("deadlines", "--once", "--exchange", str(exchange))
        assert "nothing due" in again.output
    finally:
        shutil.rmtree(exchange, ignore_errors=True)
