"""Every lecture of the four courses executes, offline, within its budget, with alt text."""

from __future__ import annotations

import pytest

from autograder.authoring.validate import check_start_page, run_lecture
from tests.content import COURSES, LECTURES, REPO

pytestmark = pytest.mark.content


def test_the_four_courses_are_complete() -> None:
    assert [c.id for c in COURSES] == ["ml1", "mr", "rl1", "ai-intro"]
    for course in COURSES:
        assert len(course.lectures) >= 7, course.id
        assert len(course.assignments) == 3, course.id


@pytest.mark.parametrize("course", COURSES, ids=lambda c: c.id)
def test_course_start_page(course) -> None:
    check = check_start_page(REPO, course)
    assert check.ok, "\n".join(check.problems)


@pytest.mark.parametrize(("course", "lecture"), LECTURES, ids=[lec for _, lec in LECTURES])
def test_lecture_executes_within_budget(course, lecture: str) -> None:
    check = run_lecture(REPO, course, lecture)
    assert check.ok, "\n".join(check.problems)
