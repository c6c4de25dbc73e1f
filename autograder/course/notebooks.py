"""Reading notebooks defensively and describing their nbgrader cells.

A submission is untrusted input: it may not be JSON, may not be a notebook, or
may have lost or duplicated the cells nbgrader grades. Everything here returns
typed results or raises SubmissionError naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.course.errors import SubmissionError

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
TEXT_STUB = "YOUR ANSWER HERE"
"""What nbgrader leaves in a released written answer (ClearSolutions.text_stub)."""


def read_notebook(path: Path, label: str | None = None) -> NotebookNode:
    """Parse and validate a notebook, or explain in one line why it cannot be graded."""
    name = label or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SubmissionError(f"{name}: file not found") from None
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{name}: not UTF-8 text ({exc.reason})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "the file is damaged: re-download your work from Jupyter and hand it in again"
        ) from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise SubmissionError(f"{name}: valid JSON but not a Jupyter notebook (no 'cells')")
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as exc:  # nbformat raises several types for a broken structure
        raise SubmissionError(
            f"{name}: not a valid notebook ({str(exc).splitlines()[0]})"
        ) from None
    return notebook


def nbgrader_meta(cell: NotebookNode) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def contains_marker(notebook: NotebookNode, markers: tuple[str, ...]) -> bool:
    return any(any(m in cell.source for m in markers) for cell in notebook.cells)


TIMEOUT_ERRORS = ("KeyboardInterrupt", "CellTimeoutError")


def first_error(cell: NotebookNode) -> tuple[str, str, str] | None:
    """How an executed cell failed: (kind, exception name, first line of its message).

    kind is "unanswered" (the code under test still raises NotImplementedError),
    "timeout" (stopped by the time limit) or "error"; None when the cell has no error.
    """
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return None
    ename = errors[0].get("ename", "Error")
    evalue = str(errors[0].get("evalue", "")).strip()
    first = evalue.splitlines()[0] if evalue else ""
    if ename == "NotImplementedError":
        return "unanswered", ename, first
    if ename in TIMEOUT_ERRORS:
        return "timeout", ename, first
    return "error", ename, first
