"""A submission's score as a teacher must read it: autograded, graded by a person, or waiting.

nbgrader adds every cell's score into one total, and a cell nobody has graded yet
counts as zero in it, so a total read before a person has graded the written answers
and tasks looks final when it is not. The gradebook knows better: nbgrader sets
`Grade.needs_manual_grade` on a manually graded answer the student answered and on
every task, and formgrader clears it when a person enters a score (`manual_score`,
which then counts instead of the autograder's). The course config says which cells
a person grades (`manual:`). The grade table, the exports, the report and the
feedback read scores through here, so they agree on what is final.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbgrader.api import MissingEntry, SubmittedAssignment

from autograder.course.config import Assignment
from autograder.nbgrader import db


@dataclass(frozen=True)
class CellScore:
    notebook: str
    grade_id: str
    score: float
    """nbgrader's score: the person's if one was entered, else the autograder's, else 0."""
    max_score: float
    by_person: bool
    """Listed under `manual:` in the config: a manually graded answer or a task."""
    waiting: bool
    """nbgrader's needs_manual_grade: not final until a person grades it in formgrader."""


@dataclass(frozen=True)
class Breakdown:
    cells: tuple[CellScore, ...]
    late_penalty: float = 0.0

    @property
    def autograded(self) -> float:
        """Points the tests earned (before any late penalty)."""
        return sum(c.score for c in self.cells if not c.by_person)

    @property
    def autograded_max(self) -> float:
        return sum(c.max_score for c in self.cells if not c.by_person)

    @property
    def manual(self) -> float:
        """Points given so far on the cells a person grades (zero for an unanswered one)."""
        return sum(c.score for c in self.cells if c.by_person and not c.waiting)

    @property
    def manual_max(self) -> float:
        return sum(c.max_score for c in self.cells if c.by_person)

    @property
    def waiting(self) -> tuple[str, ...]:
        """Grade ids still to be graded by a person (by notebook, then grade id)."""
        return tuple(c.grade_id for c in self.cells if c.waiting)

    @property
    def waiting_points(self) -> float:
        return sum(c.max_score for c in self.cells if c.waiting)

    @property
    def complete(self) -> bool:
        return not self.waiting

    @property
    def score(self) -> float:
        """nbgrader's total after the late penalty; final only when `complete`."""
        return sum(c.score for c in self.cells) - self.late_penalty

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells)


def breakdown(submission: SubmittedAssignment, assignment: Assignment) -> Breakdown:
    """The breakdown of one submission, read from an open gradebook."""
    manual = {gid for spec in assignment.notebooks for gid in spec.manual}
    order = {spec.stem: i for i, spec in enumerate(assignment.notebooks)}
    cells = []
    for nb in sorted(submission.notebooks, key=lambda n: order.get(n.name, len(order))):
        for grade in sorted(nb.grades, key=lambda g: g.name):
            cells.append(
                CellScore(
                    notebook=nb.name,
                    grade_id=grade.name,
                    score=float(grade.score),
                    max_score=float(grade.max_score),
                    by_person=grade.name in manual,
                    waiting=bool(grade.needs_manual_grade),
                )
            )
    return Breakdown(tuple(cells), float(submission.late_submission_penalty or 0.0))


def breakdowns(db_url: str, course_id: str, assignment: Assignment) -> dict[str, Breakdown]:
    """student -> breakdown, for every submission of the assignment in the gradebook."""
    with db.gradebook(db_url, course_id) as gb:
        try:
            gb.find_assignment(assignment.id)
        except MissingEntry:
            return {}
        return {
            sub.student_id: breakdown(sub, assignment)
            for sub in gb.assignment_submissions(assignment.id)
        }


def submission_breakdown(
    db_url: str, course_id: str, assignment: Assignment, student: str
) -> Breakdown | None:
    """One student's breakdown (None: nbgrader has no submission of theirs)."""
    with db.gradebook(db_url, course_id) as gb:
        try:
            submission = gb.find_submission(assignment.id, student)
        except MissingEntry:
            return None
        return breakdown(submission, assignment)
