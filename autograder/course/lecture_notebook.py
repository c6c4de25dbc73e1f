"""A lecture as the notebook a student runs: from its MyST (or .ipynb) source, no outputs.

One conversion for both places a student gets a lecture: the book's `.ipynb` download
(book/sphinx_ext.py) and the hub's "open in JupyterLab" copy (delivery/lectures.py).
Outputs are dropped so it runs from a clean state; solution cells are collapsed, so a
student opens them on purpose, as the book folds them in a Solution box.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from autograder.course.study_time import SOLUTION_TAG


def student_notebook(source: Path) -> NotebookNode:
    notebook = jupytext.read(source)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if SOLUTION_TAG in cell.metadata.get("tags", []):
                cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
    notebook.metadata.pop("jupytext", None)
    nbformat.validate(notebook)
    return notebook
