"""What a released notebook should contain, stamped into the notebook itself.

A student's machine has neither the course repository nor the hidden tests, yet
`autograder check` must tell whether their notebook is still gradable: no graded
cell deleted or duplicated, none changed in kind or points, no read-only cell
edited. The release carries that knowledge in `metadata.autograder`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from nbformat import NotebookNode

from autograder.course.config import Assignment, Course, NotebookSpec
from autograder.course.notebooks import nbgrader_meta

KEY = "autograder"


def cell_kind(meta: dict) -> str:
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    return "read-only"


def digest(source: str) -> str:
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()[:16]


def build(
    course: Course, assignment: Assignment, spec: NotebookSpec, release: NotebookNode
) -> dict:
    cells = []
    for cell in release.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade_id"):
            continue
        entry = {
            "grade_id": str(meta["grade_id"]),
            "kind": cell_kind(meta),
            "cell_type": cell.cell_type,
            "points": float(meta.get("points", 0) or 0),
        }
        if entry["kind"] != "answer":
            entry["checksum"] = digest(cell.source)
        cells.append(entry)
    return {
        "course": course.id,
        "assignment": assignment.id,
        "notebook": spec.file,
        "cell_timeout": assignment.limits.cell_timeout,
        "cells": cells,
    }


def stamp(notebook: NotebookNode, manifest: dict) -> NotebookNode:
    notebook.metadata[KEY] = manifest
    return notebook


@dataclass(frozen=True)
class Problem:
    grade_id: str
    message: str


def check(notebook: NotebookNode, manifest: dict) -> list[Problem]:
    """Everything that would make the grader restore, ignore or overwrite part of the notebook."""
    problems = []
    present: dict[str, list[NotebookNode]] = {}
    for cell in notebook.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid:
            present.setdefault(str(gid), []).append(cell)
    for entry in manifest.get("cells", []):
        gid, kind = entry["grade_id"], entry["kind"]
        copies = present.get(gid, [])
        if not copies:
            problems.append(
                Problem(
                    gid,
                    f"{kind} cell '{gid}' was deleted: undo the deletion "
                    "(Edit > Undo) or start again from a fresh download",
                )
            )
            continue
        if len(copies) > 1:
            problems.append(
                Problem(
                    gid,
                    f"{kind} cell '{gid}' appears {len(copies)} times: "
                    "keep one copy (only the last one is graded)",
                )
            )
        cell = copies[-1]
        meta = nbgrader_meta(cell)
        if cell_kind(meta) != kind or cell.cell_type != entry["cell_type"]:
            problems.append(
                Problem(
                    gid,
                    f"cell '{gid}' is no longer a {entry['cell_type']} "
                    f"{kind} cell: its metadata was changed",
                )
            )
        elif float(meta.get("points", 0) or 0) != entry["points"]:
            problems.append(Problem(gid, f"cell '{gid}': points changed in its metadata"))
        elif "checksum" in entry and digest(cell.source) != entry["checksum"]:
            problems.append(
                Problem(
                    gid,
                    f"{kind} cell '{gid}' was edited: the grader uses the "
                    "teacher's version, so your changes there are ignored",
                )
            )
    return problems
