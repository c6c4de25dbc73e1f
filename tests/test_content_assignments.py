"""Every assignment: solution earns full marks, untouched release zero, through real grading."""

from __future__ import annotations

import pytest

from autograder.authoring.validate import check_assignment
from tests.content import ASSIGNMENTS, REPO


@pytest.mark.parametrize(
    ("course", "assignment"), ASSIGNMENTS, ids=[f"{c.id}/{a.id}" for c, a in ASSIGNMENTS]
)
def test_solution_full_marks_release_zero(course, assignment) -> None:
    check = check_assignment(REPO, course, assignment)
    assert check.ok, "\n".join(check.problems)
