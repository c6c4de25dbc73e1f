"""One thing a student does with nbgrader's exchange, done as that student's system user.

Run by the tests as root: `python -m tests.exchange_student USER ACTION COURSE ASSIGNMENT
EXCHANGE [ARG]`. Everything is imported first, then the process drops to the student's
uid and groups and moves to their home, so the action has exactly a student's rights
(the checkout and its virtual environment may lie in a folder students cannot read,
as under /root in CI). Prints one JSON line: what the action saw.
"""

from __future__ import annotations

import json
import os
import pwd
import sys
from pathlib import Path

import nbformat
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default.fetch_assignment import ExchangeFetchAssignment
from nbgrader.exchange.default.fetch_feedback import ExchangeFetchFeedback
from nbgrader.exchange.default.submit import ExchangeSubmit
from traitlets.config import Config

ACTIONS = {
    "fetch": ExchangeFetchAssignment,
    "submit": ExchangeSubmit,
    "fetch_feedback": ExchangeFetchFeedback,
}


def warm_up() -> None:
    """What the actions import or load lazily, loaded while still root: Python itself
    may lie where students cannot read (pyenv under /root)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nbformat.validate(nbformat.reads(nbformat.writes(notebook), as_version=4))
    "x".encode("unicode_escape").decode("ascii")


def become(user: str) -> Path:
    warm_up()
    entry = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ["HOME"] = entry.pw_dir
    os.environ["USER"] = user
    os.chdir(entry.pw_dir)
    return Path(entry.pw_dir)


def main(user: str, action: str, course: str, assignment: str, root: str, arg: str = "") -> dict:
    home = become(user)
    if action in ACTIONS:
        config = Config()
        config.Exchange.root = root
        config.CourseDirectory.root = str(home)
        config.CourseDirectory.course_id = course
        config.CourseDirectory.assignment_id = assignment
        coursedir = CourseDirectory(config=config)
        exchange = ACTIONS[action](
            coursedir=coursedir, authenticator=Authenticator(config=config), config=config
        )
        try:
            exchange.start()
        except ExchangeError as error:
            return {"ok": False, "error": str(error)}
        found = sorted(
            str(p.relative_to(home)) for p in (home / assignment).rglob("*") if p.is_file()
        )
        return {"ok": True, "files": found}
    if action == "answer":  # replace answer cells by grade id: {"add": "def add..."}
        answers = json.loads(arg)
        [path] = (home / assignment).glob("*.ipynb")
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source = answers[grade_id]
        nbformat.write(notebook, path)
        return {"ok": True}
    if action in ("read", "list", "write"):
        try:
            if action == "read":
                Path(arg).read_bytes()
            elif action == "list":
                os.listdir(arg)
            else:
                Path(arg).mkdir()
        except PermissionError:
            return {"ok": False, "error": "permission denied"}
        return {"ok": True}
    return {"ok": False, "error": f"unknown action {action}"}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
