"""How a submitted notebook's graded cells differ from what the teacher released.

One comparison serves two readers. The grader compares a submission with the
teacher's source notebook (nbgrader/repair.py), then restores what differs and
reports it. The student's self-check has no source, only the manifest the release
carries (course/manifest.py), and says what would make the grader restore, ignore
or overwrite part of the notebook. Each builds its list of `Expected` cells and
words the `Difference`s for its reader; what counts as a difference is decided here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from nbformat import NotebookNode

from autograder.course.cells import CellKind, kind_of_meta, points, role
from autograder.course.notebooks import nbgrader_meta


class Change(str, Enum):
    MISSING = "missing"
    DUPLICATED = "duplicated"
    TYPE_CHANGED = "type-changed"
    METADATA_CHANGED = "metadata-changed"
    EDITED = "edited"
    REORDERED = "reordered"
    UNKNOWN = "unknown"
    """A cell with a grade id the teacher's notebook does not have: one the student made
    (or copied and renamed) that claims to be the teacher's."""


def coarse_role(kind: CellKind) -> str:
    """The role a release's manifest records: what the student may change in the cell."""
    if kind is CellKind.TEST:
        return "test"
    if kind.written_by_student:
        return "answer"
    return "read-only"


def digest(source: str) -> str:
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Expected:
    grade_id: str
    role: str
    """"test", "answer" or "read-only" (coarse_role)."""
    cell_type: str
    points: float
    flags: dict[str, object] | None = None
    """The teacher's flags and points (cells.role), when the source notebook is known."""
    checksum: str | None = None
    """Of the released source, for cells the student must not edit (from a manifest)."""

    @property
    def label(self) -> str:
        return f"{self.role} cell"


@dataclass(frozen=True)
class Difference:
    change: Change
    expected: Expected | None
    """None for REORDERED, which concerns the notebook as a whole, and for UNKNOWN."""
    count: int = 1
    found_type: str = ""
    detail: str = ""
    """For METADATA_CHANGED: what changed ("points" alone, or each flag's old and new value)."""

    @property
    def grade_id(self) -> str:
        if self.change is Change.UNKNOWN:
            return self.detail
        return self.expected.grade_id if self.expected is not None else ""


def graded_source_cells(source: NotebookNode) -> Iterator[tuple[str, dict, NotebookNode]]:
    """(grade id, nbgrader metadata, cell) for each graded cell of the teacher's copy; tasks
    have no cell a student could break, so none."""
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade_id") and not meta.get("task"):
            yield str(meta["grade_id"]), meta, cell


def expected_from_source(source: NotebookNode) -> list[Expected]:
    return [
        Expected(
            gid, coarse_role(kind_of_meta(meta)), cell.cell_type, points(meta), flags=role(meta)
        )
        for gid, meta, cell in graded_source_cells(source)
    ]


def grade_ids(notebook: NotebookNode) -> list[str]:
    """Every grade id in the notebook, in order, duplicates kept."""
    ids = (nbgrader_meta(c).get("grade_id") for c in notebook.cells)
    return [str(gid) for gid in ids if gid]


def _changed_flags(teacher: dict[str, object], student: dict[str, object]) -> str:
    return ", ".join(
        f"{key}: {teacher.get(key)!r} became {student.get(key)!r}"
        for key in teacher
        if teacher.get(key) != student.get(key)
    )


def _metadata_change(want: Expected, meta: dict) -> str:
    if want.flags is not None:
        return _changed_flags(want.flags, role(meta))
    if coarse_role(kind_of_meta(meta)) != want.role:
        return f"role: {want.role!r} became {coarse_role(kind_of_meta(meta))!r}"
    if points(meta) != want.points:
        return "points"
    return ""


def compare(expected: Iterable[Expected], submitted: NotebookNode) -> list[Difference]:
    """Every difference, in the teacher's order; of duplicated cells the last copy is the
    one graded (as nbgrader's DeduplicateIds chooses), so the last is the one checked."""
    expected = list(expected)
    copies: dict[str, list[NotebookNode]] = {}
    for cell in submitted.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid:
            copies.setdefault(str(gid), []).append(cell)
    found: list[Difference] = []
    for want in expected:
        present = copies.get(want.grade_id, [])
        if not present:
            found.append(Difference(Change.MISSING, want))
            continue
        if len(present) > 1:
            found.append(Difference(Change.DUPLICATED, want, count=len(present)))
        cell = present[-1]
        before = len(found)
        if cell.cell_type != want.cell_type:
            found.append(Difference(Change.TYPE_CHANGED, want, found_type=cell.cell_type))
        changed = _metadata_change(want, nbgrader_meta(cell))
        if changed:
            found.append(Difference(Change.METADATA_CHANGED, want, detail=changed))
        if (
            len(found) == before
            and want.checksum is not None
            and digest(cell.source) != want.checksum
        ):
            found.append(Difference(Change.EDITED, want))
    order = [want.grade_id for want in expected]
    known = set(order)
    found.extend(
        Difference(Change.UNKNOWN, None, detail=gid)
        for gid, cells in copies.items()
        if gid not in known and any(cell.cell_type == "code" for cell in cells)
    )
    present_order = [gid for gid in dict.fromkeys(grade_ids(submitted)) if gid in known]
    if present_order != [gid for gid in order if gid in set(present_order)]:
        found.append(Difference(Change.REORDERED, None))
    return found
