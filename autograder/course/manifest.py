"""What a released notebook should contain, stamped into the notebook itself.

A student's machine has neither the course repository nor the hidden tests, yet
`autograder check` must tell whether their notebook is still gradable: no graded
cell deleted or duplicated, none changed in kind or points, no read-only cell
edited. The release carries that knowledge in `metadata.autograder`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbformat import NotebookNode

from autograder.course.cells import kind_of_meta, points
from autograder.course.config import Assignment, Course, NotebookSpec
from autograder.course.notebooks import nbgrader_meta
from autograder.course.structure import Change, Difference, Expected, coarse_role, compare, digest

KEY = "autograder"


def build(
    course: Course, assignment: Assignment, spec: NotebookSpec, release: NotebookNode
) -> dict:
    cells = []
    for cell in release.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade_id"):
            continue
        entry: dict[str, object] = {
            "grade_id": str(meta["grade_id"]),
            "kind": coarse_role(kind_of_meta(meta)),
            "cell_type": cell.cell_type,
            "points": points(meta),
        }
        if entry["kind"] != "answer":
            entry["checksum"] = digest(cell.source)
        cells.append(entry)
    return {
        "course": course.id,
        "assignment": assignment.id,
        "notebook": spec.file,
        "cell_timeout": assignment.limits.cell_timeout,
        "forbidden": list(assignment.forbidden),
        "cells": cells,
    }


def stamp(notebook: NotebookNode, manifest: dict) -> NotebookNode:
    notebook.metadata[KEY] = manifest
    return notebook


@dataclass(frozen=True)
class Problem:
    grade_id: str
    message: str


def expected(manifest: dict) -> list[Expected]:
    return [
        Expected(
            str(entry["grade_id"]),
            str(entry["kind"]),
            str(entry["cell_type"]),
            float(entry.get("points", 0) or 0),
            checksum=entry.get("checksum"),
        )
        for entry in manifest.get("cells", [])
    ]


def _message(diff: Difference) -> str | None:
    """The student's words: what to undo, or that their change will be ignored."""
    want = diff.expected
    if diff.change is Change.UNKNOWN:
        return (
            f"cell '{diff.grade_id}' has nbgrader metadata the assignment does not have "
            "(copied or made by hand): it is graded as an ordinary cell of yours"
        )
    if want is None:
        return None  # moved cells are graded in the teacher's order: nothing to fix
    kind, gid = want.role, want.grade_id
    if diff.change is Change.MISSING:
        return (
            f"{kind} cell '{gid}' was deleted: undo the deletion "
            "(Edit > Undo) or start again from a fresh download"
        )
    if diff.change is Change.DUPLICATED:
        return (
            f"{kind} cell '{gid}' appears {diff.count} times: "
            "keep one copy (only the last one is graded)"
        )
    if diff.change is Change.EDITED:
        return (
            f"{kind} cell '{gid}' was edited: the grader uses the "
            "teacher's version, so your changes there are ignored"
        )
    if diff.change is Change.METADATA_CHANGED and diff.detail == "points":
        return f"cell '{gid}': points changed in its metadata"
    return f"cell '{gid}' is no longer a {want.cell_type} {kind} cell: its metadata was changed"


def check(notebook: NotebookNode, manifest: dict) -> list[Problem]:
    """Everything that would make the grader restore, ignore or overwrite part of the notebook;
    one problem per cell and change, and one for a cell changed in both type and role."""
    problems: list[Problem] = []
    for diff in compare(expected(manifest), notebook):
        message = _message(diff)
        if message is None or (problems and problems[-1].message == message):
            continue
        problems.append(Problem(diff.grade_id, message))
    return problems
