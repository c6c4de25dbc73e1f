"""The student version of an assignment, made by nbgrader and checked before anyone gets it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.course import manifest
from autograder.course.config import Assignment, Course
from autograder.course.errors import AutograderError
from autograder.course.notebooks import (
    HIDDEN_MARKERS,
    SOLUTION_MARKERS,
    TEXT_STUB,
    contains_marker,
    nbgrader_meta,
    read_notebook,
)
from autograder.course.sources import assignment_digest
from autograder.grading import store
from autograder.nbgrader import db
from autograder.nbgrader.repair import UNANSWERED_STUB
from autograder.nbgrader.settings import NBGRADER_LOCK, make_api, nbgrader_problem

MARK_SCHEME_MARKERS = ("BEGIN MARK SCHEME", "END MARK SCHEME")
"""nbgrader's delimiters of a task's mark scheme, which only the teacher's copy keeps."""


def _model_answers(release: NotebookNode, source: NotebookNode) -> list[str]:
    """Answer cells whose released text is the teacher's own. A written answer graded by
    a person is usually all model answer, with no solution markers to look for."""
    teacher = {
        str(meta["grade_id"]): cell.source.strip()
        for cell in source.cells
        if (meta := nbgrader_meta(cell)).get("solution") and meta.get("grade_id")
    }
    return [
        str(meta["grade_id"])
        for cell in release.cells
        if (meta := nbgrader_meta(cell)).get("solution")
        and cell.source.strip() not in ("", TEXT_STUB, UNANSWERED_STUB)
        and cell.source.strip() == teacher.get(str(meta.get("grade_id")))
    ]


def leaks(release_dir: Path, assignment: Assignment, source_dir: Path | None = None) -> list[str]:
    """Why a release must not be handed out: solutions, hidden tests or mark schemes left
    in it, or (given the teacher's `source_dir`) an answer cell left as the model answer."""
    problems = []
    for nb in assignment.notebooks:
        path = release_dir / nb.file
        if not path.is_file():
            problems.append(f"{path}: missing from the release")
            continue
        notebook = read_notebook(path)
        if contains_marker(notebook, SOLUTION_MARKERS):
            problems.append(f"{path}: contains a solution region")
        if contains_marker(notebook, HIDDEN_MARKERS):
            problems.append(f"{path}: contains hidden tests")
        if contains_marker(notebook, MARK_SCHEME_MARKERS):
            problems.append(f"{path}: contains a task's mark scheme")
        if source_dir is not None and (source_dir / nb.file).is_file():
            for gid in _model_answers(notebook, read_notebook(source_dir / nb.file)):
                problems.append(f"{path}: answer cell {gid!r} still holds the model answer")
    return problems


def generate_release(
    course: Course, assignment: Assignment, course_root: Path, db_url: str
) -> Path:
    """Run nbgrader generate_assignment, record the due date, and refuse a leaking release.

    A refused release is removed, not left in `release/` beside the good ones."""
    api = make_api(course, course_root, db_url, assignment)
    with NBGRADER_LOCK:
        outcome = api.generate_assignment(assignment.id, force=True, create=True)
    if not outcome.get("success"):
        raise AutograderError(
            f"{course.id}/{assignment.id}: nbgrader could not generate the release:\n"
            + nbgrader_problem(outcome)
        )
    due = None
    if assignment.due is not None:
        due = assignment.due.astimezone(dt.timezone.utc).replace(tzinfo=None)
    with db.gradebook(db_url, course.id) as gb:
        gb.update_or_create_assignment(assignment.id, duedate=due)
    release_dir = course_root / "release" / assignment.id
    try:
        problems = leaks(release_dir, assignment, course_root / "source" / assignment.id)
        if problems:
            raise AutograderError(
                f"{course.id}/{assignment.id}: release refused, and {release_dir} removed "
                "so that it cannot be handed out:\n" + "\n".join(problems)
            )
        for spec in assignment.notebooks:
            path = release_dir / spec.file
            notebook = read_notebook(path)
            nbformat.write(
                manifest.stamp(notebook, manifest.build(course, assignment, spec, notebook)), path
            )
        source = assignment_digest(assignment, course_root / "source" / assignment.id)
        store.record_release(db_url, assignment.id, source.hexdigest())
    except BaseException:
        # Only a checked and stamped release stays where a teacher (or `build`, which
        # publishes release/ in the book) would take it from.
        shutil.rmtree(release_dir, ignore_errors=True)
        raise
    return release_dir
