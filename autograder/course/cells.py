"""What each nbgrader cell is, decided in this one place.

nbgrader marks a cell with flags in its metadata (`grade`, `solution`, `locked`,
`task`, `points`); what those flags mean for grading (a test the grader runs, an
answer a person grades, code a test checks, a task, a read-only cell) is decided
here, and every other module (release manifest, structure repair, the guard, the
student's self-check, feedback, the grader) asks here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from nbformat import NotebookNode

from autograder.course.notebooks import nbgrader_meta

ROLE_FLAGS = ("grade", "solution", "locked", "task")
"""The flags that make a cell what it is; a submission's copy must keep the teacher's."""


class CellKind(str, Enum):
    TEST = "test"
    """Autograded: its points are earned when it runs without error."""
    MANUAL = "manual"
    """An answer (`solution` and `grade`) a person grades; nbgrader scores it itself only
    when it is left unanswered (zero)."""
    TASK = "task"
    """Graded by a person, with no answer cell of its own."""
    ANSWER = "answer"
    """Code or text the student writes, checked by tests; no points of its own."""
    READ_ONLY = "read-only"
    """The teacher's cell (setup, instructions), restored from the source when changed."""

    @property
    def by_person(self) -> bool:
        """Its points come from a person in formgrader, not from running tests."""
        return self in (CellKind.MANUAL, CellKind.TASK)

    @property
    def written_by_student(self) -> bool:
        return self in (CellKind.ANSWER, CellKind.MANUAL)


def kind_of_meta(meta: dict[str, Any]) -> CellKind:
    if meta.get("task"):
        return CellKind.TASK
    if meta.get("grade"):
        return CellKind.MANUAL if meta.get("solution") else CellKind.TEST
    return CellKind.ANSWER if meta.get("solution") else CellKind.READ_ONLY


def kind_of(cell: NotebookNode) -> CellKind | None:
    """The cell's kind, or None for a cell nbgrader does not manage (no grade id)."""
    meta = nbgrader_meta(cell)
    if not meta.get("grade_id"):
        return None
    return kind_of_meta(meta)


def is_test(cell: NotebookNode) -> bool:
    """A code cell the grader runs for points (a written answer graded by a person is not)."""
    return cell.cell_type == "code" and kind_of_meta(nbgrader_meta(cell)) is CellKind.TEST


def scored_by_running(cell: NotebookNode) -> bool:
    """A code cell nbgrader scores from its outputs (tests, and code answers a person grades
    that nbgrader scores zero until they are answered): it must really have run."""
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("grade"))


def points(meta: dict[str, Any]) -> float:
    """The cell's points; metadata that is not a number counts as none (the grader restores
    the teacher's metadata anyway)."""
    try:
        return float(meta.get("points", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def role(meta: dict[str, Any]) -> dict[str, object]:
    """What a submission's copy of a cell must keep from the teacher's: its flags, and its
    points when it has any."""
    found: dict[str, object] = {flag: bool(meta.get(flag)) for flag in ROLE_FLAGS}
    if meta.get("grade") or meta.get("task"):
        try:
            found["points"] = float(meta.get("points", 0))
        except (TypeError, ValueError):
            found["points"] = meta.get("points")
    return found


@dataclass(frozen=True)
class GradedCell:
    grade_id: str
    cell_type: str
    grade: bool
    solution: bool
    locked: bool
    points: float
    task: bool = False

    @property
    def kind(self) -> CellKind:
        return kind_of_meta({"grade": self.grade, "solution": self.solution, "task": self.task})

    @property
    def by_person(self) -> bool:
        return self.kind.by_person


def graded_cells(notebook: NotebookNode) -> list[GradedCell]:
    """The nbgrader-managed cells, in notebook order (duplicates kept, for checks)."""
    cells = []
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        cells.append(
            GradedCell(
                grade_id=str(grade_id),
                cell_type=cell.cell_type,
                grade=bool(meta.get("grade")),
                solution=bool(meta.get("solution")),
                locked=bool(meta.get("locked")),
                points=float(meta.get("points", 0) or 0),
                task=bool(meta.get("task")),
            )
        )
    return cells
