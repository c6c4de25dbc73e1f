"""A lecture as the notebook a student runs: from its MyST (or .ipynb) source, no outputs.

One conversion for both places a student gets a lecture: the book's `.ipynb` download
(book/sphinx_ext.py) and the hub's "open in JupyterLab" copy (delivery/lectures.py).
Outputs are dropped so it runs from a clean state; solution cells are collapsed, so a
student opens them on purpose, as the book folds them in a Solution box.

JupyterLab renders Markdown, not the book's MyST directives, so the Markdown cells are
rewritten into what it shows well: a box (`:::{admonition} Exercise 1`) becomes its bold
title over its text; the study-time box, which the book computes, goes; and the quiz,
whose source holds the answers (`correct: true`, each `why`), becomes a pointer to the
lecture's page in the book, where the answers show only once chosen.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from autograder.course.study_time import SOLUTION_TAG

QUIZ_NOTE = (
    "**Check your understanding:** this lecture's quiz is on its page in the course book, "
    "where each answer is explained once you choose it."
)
_FENCE = re.compile(r"^(`{3,}|~{3,})\{([\w-]+)\}")
_BOX = re.compile(r"^(:{3,})\{([\w-]+)\}\s*(.*)$")
_OPTION = re.compile(r"^:[\w-]+:")
_CLOSE = re.compile(r"^:{3,}\s*$")
DROPPED = {"study-time": "", "quiz": QUIZ_NOTE}


def plain_markdown(source: str) -> str:
    lines: list[str] = []
    skip_until: str | None = None  # the closing fence of a dropped block
    options = False  # just after a box's first line, where its `:class:` lines are
    for line in source.splitlines():
        if skip_until is not None:
            if line.strip() == skip_until:
                skip_until = None
            continue
        fence = _FENCE.match(line)
        if fence and fence.group(2) in DROPPED:
            skip_until = fence.group(1)
            if DROPPED[fence.group(2)]:
                lines.append(DROPPED[fence.group(2)])
            continue
        box = _BOX.match(line)
        if box:
            name, title = box.group(2), box.group(3).strip()
            heading = title if name == "admonition" or title else name.capitalize()
            if not name.startswith("grid") or title:
                lines.append(f"**{heading}**")
            options = True
            continue
        if options and _OPTION.match(line):
            continue
        options = False
        if _CLOSE.match(line):
            continue
        lines.append(line)
    return "\n".join(lines).strip("\n")


def student_notebook(source: Path) -> NotebookNode:
    notebook = jupytext.read(source)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = plain_markdown(cell.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if SOLUTION_TAG in cell.metadata.get("tags", []):
                cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
    notebook.cells = [c for c in notebook.cells if c.cell_type != "markdown" or c.source.strip()]
    notebook.metadata.pop("jupytext", None)
    nbformat.validate(notebook)
    return notebook
