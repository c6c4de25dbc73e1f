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
- Every lecture page gets an "Open in JupyterHub" button: the hub copies the lecture
  into the student's home (once: their own edits are never overwritten) and opens it in
  JupyterLab (delivery/lectures.py, student/server.py). The hub's address is
  `autograder_hub_url` in book/_config.yml, or AUTOGRADER_HUB_URL at build time.
- Lectures get their quiz and study-time boxes (`directives.py`), and each exercise's
  executed solution cell moves into its Solution box (`solutions.py`); in the notebook
  download, solution cells are collapsed so a student opens them on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat
from myst_nb.core.read import is_myst_markdown_notebook
from sphinx.application import Sphinx

from autograder.book.directives import QuizDirective, StudyTimeDirective
from autograder.book.solutions import move_into_boxes
from autograder.course.lecture_notebook import student_notebook

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
    target = Path(app.outdir, "_sources", pagename + ".ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(student_notebook(source), target)
    context["ipynb_source"] = pagename + ".ipynb"


HUB_ROUTE = "hub/user-redirect/autograder/lectures/"


def hub_url_from_environment(app: Sphinx, config: Any) -> None:
    # Set before Sphinx compares the configuration with the cached one, so a build for
    # another hub rewrites every page instead of keeping old buttons.
    if os.environ.get("AUTOGRADER_HUB_URL"):
        config.autograder_hub_url = os.environ["AUTOGRADER_HUB_URL"]


def add_hub_button(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    hub = str(app.config.autograder_hub_url or "").rstrip("/")
    if not hub or _notebook_source(app, pagename) is None or "header_buttons" not in context:
        return
    context["header_buttons"].append(
        {
            "type": "link",
            "url": f"{hub}/{HUB_ROUTE}{quote(pagename)}",
            "text": "JupyterHub",
            "tooltip": "Open this lecture, runnable, in your JupyterLab on the course hub",
            "icon": "fas fa-rocket",
            "label": "open-in-hub",
        }
    )


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
    app.add_config_value("autograder_hub_url", "http://localhost:8000", "html", [str])
    app.connect("config-inited", hub_url_from_environment)
    app.add_directive("quiz", QuizDirective)
    app.add_directive("study-time", StudyTimeDirective)
    app.connect("doctree-read", move_into_boxes)
    app.connect("builder-inited", add_static)
    app.add_js_file("ag-quiz.js")
    app.add_css_file("ag-quiz.css")
    app.connect("html-page-context", set_colour_mode)
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", add_ipynb_download, priority=400)
    app.connect("html-page-context", add_hub_button, priority=600)  # after the theme's
    app.connect("html-page-context", drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
