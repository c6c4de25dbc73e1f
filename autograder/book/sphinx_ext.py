"""Sphinx extension for the course book.

- Every lecture page offers its notebook as a runnable `.ipynb` download. Lectures
  are stored as MyST Markdown notebooks (diff-friendly), but students want a
  notebook they can open in Jupyter. sphinx-book-theme already renders a ".ipynb"
  entry in its download menu when the page context names an `ipynb_source`; we
  write that notebook (converted with jupytext, no outputs, so it runs from a
  clean state) and fill in the context key.
- Pages load no thebe code. Jupyter Book 1 always adds sphinx-thebe, whose inline
  configuration is emitted twice (a JavaScript error on every page) and points at
  a CDN; live code is off in this book, so its scripts are dropped.
- Pages get an explicit colour mode ("auto": the reader's system setting); without
  one pydata-sphinx-theme logs "Got invalid theme mode" on every page.
- Lectures get their quiz and study-time boxes (`directives.py`), and each exercise's
  executed solution cell moves into its Solution box (`solutions.py`); in the notebook
  download, solution cells are collapsed so a student opens them on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jupytext
import nbformat
from myst_nb.core.read import is_myst_markdown_notebook
from sphinx.application import Sphinx

from autograder.book.directives import QuizDirective, StudyTimeDirective
from autograder.book.solutions import move_into_boxes
from autograder.course.study_time import SOLUTION_TAG

STATIC = Path(__file__).parent / "static"


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
            if SOLUTION_TAG in cell.metadata.get("tags", []):
                cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
    notebook.metadata.pop("jupytext", None)
    target = Path(app.outdir, "_sources", pagename + ".ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(notebook)
    nbformat.write(notebook, target)
    context["ipynb_source"] = pagename + ".ipynb"


def drop_thebe(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    def is_thebe(script: Any) -> bool:
        body = getattr(script, "attributes", {}).get("body", "") or ""
        return "thebe" in str(script) or "THEBE_JS_URL" in body

    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not is_thebe(s)]
    if "css_files" in context:
        context["css_files"] = [c for c in context["css_files"] if "thebe" not in str(c)]


def set_colour_mode(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    # pydata-sphinx-theme's layout reads `default_mode` from the page context.
    context["default_mode"] = context.get("default_mode") or "auto"


def add_static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("quiz", QuizDirective)
    app.add_directive("study-time", StudyTimeDirective)
    app.connect("doctree-read", move_into_boxes)
    app.connect("builder-inited", add_static)
    app.add_js_file("ag-quiz.js")
    app.add_css_file("ag-quiz.css")
    app.connect("html-page-context", set_colour_mode)
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", add_ipynb_download, priority=400)
    app.connect("html-page-context", drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
