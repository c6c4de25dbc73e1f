"""Sphinx extension: every lecture page offers its notebook as a runnable `.ipynb` download.

Lectures are stored as MyST Markdown notebooks (diff-friendly), but students
want a notebook they can open in Jupyter. sphinx-book-theme already renders a
".ipynb" entry in its download menu when the page context names an
`ipynb_source`; we write that notebook (converted with jupytext, no outputs,
so it runs from a clean state) and fill in the context key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jupytext
import nbformat
from myst_nb.core.read import is_myst_markdown_notebook
from sphinx.application import Sphinx


def _notebook_source(app: Sphinx, pagename: str) -> Path | None:
    if pagename not in app.env.found_docs:
        return None
    path = Path(app.env.doc2path(pagename))
    if path.suffix == ".ipynb":
        return path
    if path.suffix == ".md" and is_myst_markdown_notebook(path.read_text(encoding="utf-8")):
        return path
    return None


def add_ipynb_download(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    source = _notebook_source(app, pagename)
    if source is None:
        return
    notebook = jupytext.read(source)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("jupytext", None)
    target = Path(app.outdir, "_sources", pagename + ".ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(notebook)
    nbformat.write(notebook, target)
    context["ipynb_source"] = pagename + ".ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", add_ipynb_download, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
