"""The toolkit inside a student's JupyterLab (a Jupyter server extension).

- **Validate** (nbgrader's toolbar button) gives the verdict of `autograder check`: which
  visible tests pass and why the others fail, what is unanswered, whether the notebook is
  still gradable. nbgrader's own validator only runs the cells; the button's route,
  `assignments/validate`, is served here instead, so the hub turns nbgrader's validate
  extension off (delivery/hub.py) and this one on. The answer keeps the shape nbgrader's
  button shows: all clear is its "Success!"; anything else is one "failed" entry whose
  text is the lines `check` prints.
- **Lectures** (the book's "JupyterHub" button): `autograder/lectures/<course>/<name>`
  copies that lecture from the hub's student copies ($AUTOGRADER_LECTURES, written by
  delivery/lectures.py) into `lectures/` in the user's home, unless a copy is already
  there: the student's edits are never overwritten. Then it opens it in JupyterLab.

Only the student part of the toolkit is imported here.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

LECTURES_ENV = "AUTOGRADER_LECTURES"
LECTURE_ID = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)+")
HOME_FOLDER = "lectures"


def _inside(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise web.HTTPError(403, f"{relative}: outside your home folder")
    return target


def validate_answer(path: Path) -> dict[str, Any]:
    """nbgrader's reply to its Validate button, filled with our verdict."""
    # Imported on first use: nbformat's validator and nbclient cost 2.5 s at every
    # server start, for a button a student may never press.
    from autograder.student.selfcheck import all_clear, check_notebook, verdict

    report = check_notebook(path)
    if all_clear(report):
        return {"success": True, "value": {}}
    text = "\n".join(line.plain for line in verdict(report))
    tests = f"{report.passed} of {len(report.tests)} visible tests pass"
    headline = f"Self-check of {path.name}: {tests}"
    # nbgrader's dialog puts `error` into the page as HTML: escape it.
    failed = {"source": headline, "error": html.escape(text)}
    return {"success": True, "value": {"failed": [failed]}}


class ValidateHandler(JupyterHandler):  # type: ignore[misc]
    @web.authenticated
    async def post(self) -> None:
        try:
            relative = self.get_argument("path")
        except web.MissingArgumentError:
            relative = (self.get_json_body() or {}).get("path", "")
        path = _inside(Path(self.settings["root_dir"]), relative)
        if not path.is_file():
            reply = {"success": False, "value": f"{relative}: no such notebook"}
        else:
            try:  # the check runs a kernel for minutes at most; the server stays responsive
                reply = await asyncio.get_running_loop().run_in_executor(
                    None, validate_answer, path
                )
            except Exception as error:  # shown in the dialog, with the file named
                self.log.exception("validate %s", path)
                reply = {"success": False, "value": f"{relative}: {error}"}
        self.finish(json.dumps(reply))


class LectureHandler(JupyterHandler):  # type: ignore[misc]
    @web.authenticated
    def get(self, lecture: str) -> None:
        folder = os.environ.get(LECTURES_ENV)
        if not folder or not LECTURE_ID.fullmatch(lecture) or ".." in lecture:
            raise web.HTTPError(404, f"no lecture {lecture!r} on this hub")
        source = Path(folder) / f"{lecture}.ipynb"
        if not source.is_file():
            raise web.HTTPError(404, f"no lecture {lecture!r} on this hub")
        relative = f"{HOME_FOLDER}/{lecture}.ipynb"
        target = _inside(Path(self.settings["root_dir"]), relative)
        if not target.exists():  # the student's own copy, edited or not, stays as it is
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        self.redirect(url_path_join(self.base_url, "lab", "tree", relative))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "autograder.student.server"}]


def _load_jupyter_server_extension(server: Any) -> None:
    web_app = server.web_app
    base = web_app.settings["base_url"]
    web_app.settings.setdefault("root_dir", server.root_dir)
    # nbgrader's Validate button asks for the version first; its own handler answers it.
    from nbgrader.server_extensions.validate_assignment.handlers import NbGraderVersionHandler

    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "assignments/validate"), ValidateHandler),
            (url_path_join(base, "nbgrader_version"), NbGraderVersionHandler),
            (url_path_join(base, "autograder/lectures/(.+)"), LectureHandler),
        ],
    )
    server.log.info("autograder: Validate gives the self-check's verdict; lectures open here")
