"""The lectures a hub user may open: student copies, generated from the book's sources.

The hub writes each course's lectures as plain notebooks (no outputs, solutions collapsed:
course/lecture_notebook.py) into one folder of its state, readable by everyone and bound
read-only into each user's sandbox. Nothing else of the checkout goes there: a student's
server reads lectures from this folder only (student/server.py), never from the
repository, whose assignment sources, hidden tests and gradebooks it cannot see.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from autograder.course.config import Course
from autograder.course.errors import AutograderError
from autograder.course.lecture_notebook import student_notebook
from autograder.delivery.hub import readable_by_all


def lecture_id(path: str) -> str:
    """The id a lecture is opened by, as the book's page name: `ml1/01-estimator-api`."""
    return path.rsplit(".", 1)[0]


def write_lectures(book: Path, courses: list[Course], folder: Path) -> list[str]:
    """Regenerate `folder` from the book: returns the ids written. A lecture that cannot be
    read stops the hub with its path, rather than leave students a broken button."""
    if folder.exists():
        shutil.rmtree(folder)  # the hub's own copy: a lecture no longer listed goes
    written = []
    for course in courses:
        for path in course.lectures:
            source = book / path
            target = folder / (lecture_id(path) + ".ipynb")
            try:
                notebook = student_notebook(source)
            except Exception as error:  # jupytext and nbformat raise many kinds
                raise AutograderError(
                    f"book/{path}: cannot make the student copy: {error}"
                ) from error
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
            written.append(lecture_id(path))
    readable_by_all(folder)
    return written
