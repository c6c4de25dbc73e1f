"""Every assignment: solution earns full marks, untouched release zero, through real grading."""

from __future__ import annotations

import pytest

from autograder.authoring.validate import check_assignment
from tests.content import ASSIGNMENTS, REPO

pytestmark = pytest.mark.content

SLOW = {"rl1/a2-td-control", "rl1/a3-reinforce"}
"""Over about 20 s each (--durations=0, one process); the others take 5-10 s."""


@pytest.mark.parametrize(
    ("course", "assignment"),
    [
        pytest.param(c, a, id=name, marks=pytest.mark.slow if name in SLOW else ())
        for c, a in ASSIGNMENTS
        for name in [f"{c.id}/{a.id}"]
    ],
)
def test_solution_full_marks_release_zero(course, assignment) -> None:
    check = check_assignment(REPO, course, assignment)
    assert check.ok, "\n".join(check.problems)


def test_every_assignment_has_a_mutation_floor_that_ci_enforces() -> None:
    """CI runs `validate --mutants`, which fails an assignment below its floor; an
    assignment without one would pass however weak its tests (issue 17)."""
    missing = [f"{c.id}/{a.id}" for c, a in ASSIGNMENTS if a.mutation_score is None]
    assert not missing, f"no mutation_score in the course config: {missing}"
