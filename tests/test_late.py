"""Late work: the config's policy, applied by nbgrader's late-penalty step."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.course.config import LatePolicy
from autograder.nbgrader.late import penalty
from tests.conftest import invoker
from tests.factory import course_config, save, source_notebook, write_config

DAY = 86400


@pytest.mark.parametrize(
    ("seconds_late", "expected"),
    [(0, 0.0), (60, 1.0), (DAY, 1.0), (DAY + 1, 2.0), (3 * DAY, 3.0), (4 * DAY, 10.0)],
)
def test_penalty_per_started_day_and_zero_after_the_limit(
    seconds_late: int, expected: float
) -> None:
    policy = LatePolicy(penalty_per_day=0.1, max_days_late=3)
    assert penalty(policy, 10.0, seconds_late) == pytest.approx(expected)


@pytest.mark.sandbox
def test_late_submission_is_penalised_in_the_gradebook(repo: Path) -> None:
    config = course_config()
    config["assignments"][0]["due"] = "2027-01-10T12:00:00+01:00"
    config["assignments"][0]["late_policy"] = {"penalty_per_day": 0.2, "max_days_late": 5}
    write_config(repo, config)
    incoming = repo.parent / "incoming"
    for student, stamp in (
        ("ontime", "2027-01-10 11:00:00+01:00"),
        ("late", "2027-01-11 13:00:00+01:00"),
    ):
        save(source_notebook(), incoming / student / "a1" / "demo.ipynb")
        (incoming / student / "a1" / "timestamp.txt").write_text(stamp)
    result = invoker(repo)("grade", "demo", "a1", str(incoming))
    assert result.exit_code == 0, result.output
    with Gradebook(f"sqlite:///{repo / 'assignments/demo/gradebook.db'}", "demo") as gb:
        late = gb.find_submission("a1", "late")
        assert late.score == 5 and late.late_submission_penalty == pytest.approx(2.0)  # 2 days
        assert gb.find_submission("a1", "ontime").late_submission_penalty in (None, 0)
    assert "late: 2 points deducted" in result.output
