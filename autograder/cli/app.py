"""What every command shares: the consoles, the repository, the gradebook option, errors.

Errors a user can act on (a wrong config, a missing file, an unknown course)
are printed as one clear message and exit with status 2; no traceback.

A student installs only the student part (`pip install ai-course-autograder`: the
self-check and the course notebooks); the teacher part is the `teacher` extra
(pyproject.toml). A teacher command run without it fails here, in one place, naming the
missing package and the install line: a command either imports a teacher module (caught
as ModuleNotFoundError below) or, when it runs a teacher tool as a program (jupyter-book,
jupyterhub), calls `require_teacher` first, which raises the same error.

Text that came from outside the program (a student's error message, a notebook's
metadata, a file name, an error naming a file) is printed as rich `Text`, never as a
markup string: `[/]` or `[bold]` in it is shown as written instead of being read as
rich markup, which either restyled the output or crashed the command (MarkupError)
before it printed its results.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import click
from click.core import ParameterSource
from rich.console import Console
from rich.text import Text

from autograder.course.config import Course
from autograder.course.errors import AutograderError
from autograder.course.paths import Repo

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def literal(text: object, style: str = "") -> Text:
    """`text` exactly as written (no markup, no emoji codes), in one style."""
    return Text(str(text), style=style)


class Context:
    def __init__(self, root: Path | None) -> None:
        self._root = root
        self._repo: Repo | None = None

    @property
    def repo(self) -> Repo:
        if self._repo is None:
            self._repo = Repo.find(self._root)
        return self._repo

    def db_url(self, course: Course, db: str | None) -> str:
        """The gradebook: --db (or AUTOGRADER_DB), else SQLite inside the course folder."""
        return db or self.repo.default_db_url(course.id)

    def write_nbgrader_config(self, course: Course, db_url: str) -> None:
        """The course folder's nbgrader_config.py, for formgrader and nbgrader's own
        commands. Written by `release` and `build` only, never with a password."""
        from autograder.nbgrader.settings import write_config_file  # nbgrader: 1 s to import

        write_config_file(self.repo, course, db_url)


def _warn_password(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value and param.name and ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE:
        from autograder.nbgrader.db import has_password

        if has_password(value):
            err.print(
                "[yellow]warning: the --db URL holds a password, which your shell history and "
                "the process list can show: set AUTOGRADER_DB instead, or keep the password "
                "in ~/.pgpass or PGPASSWORD.[/]"
            )
    return value


pass_ctx = click.make_pass_decorator(Context)
db_option = click.option(
    "--db",
    metavar="URL",
    default=None,
    envvar="AUTOGRADER_DB",
    callback=_warn_password,
    help="Gradebook as an SQLAlchemy URL (default: $AUTOGRADER_DB, else SQLite inside the "
    "course folder). Keep passwords out of it: PostgreSQL reads ~/.pgpass and PGPASSWORD.",
)


#: Top-level modules of the teacher part (the `teacher` extra) -> the package that brings them.
TEACHER_MODULES = {
    "jupyter_book": "jupyter-book",
    "myst_nb": "jupyter-book",
    "sphinx": "jupyter-book",
    "sphinx-mathjax-offline": "sphinx-mathjax-offline",
    "jupytext": "jupytext",
    "dask": "distributed (Dask)",
    "distributed": "distributed (Dask)",
    "psycopg": "psycopg (the PostgreSQL driver)",
    "jupyterhub": "jupyterhub",
    "firstuseauthenticator": "jupyterhub-firstuseauthenticator",
}
TEACHER_INSTALL = 'pip install "ai-course-autograder[teacher]"'


def require_teacher(*modules: str) -> None:
    """Fail now, as a missing import would, when a command is about to run a teacher tool
    as a program: without this, `build` released every assignment before jupyter-book
    was found missing, and `hub` ended in an exec error."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)


def _teacher_part_missing(exc: ModuleNotFoundError, command: str | None) -> str | None:
    """The message for a teacher module missing on a student install; None for any other
    missing module (a broken environment, not a student install: left as a traceback)."""
    top = (exc.name or "").partition(".")[0]
    if top not in TEACHER_MODULES:
        return None
    what = f"`autograder {command}`" if command else "this command"
    return (
        f"{what} needs the teacher part of the toolkit, which is not installed here "
        f"({TEACHER_MODULES[top]} is missing: no module named {top!r}). Install it with: "
        f'{TEACHER_INSTALL} (in a checkout of the repository: pip install -e ".[teacher]")'
    )


class FriendlyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AutograderError as exc:
            message = str(exc)
        except ModuleNotFoundError as exc:
            teacher = _teacher_part_missing(exc, ctx.invoked_subcommand)
            if teacher is None:
                raise
            message = teacher
        err.print(Text.assemble(("error:", "bold red"), " ", message))
        sys.exit(2)


@click.group(cls=FriendlyGroup)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Course repository (default: the folder holding course_configs/, found upwards).",
)
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """Build the course book and release, grade and report nbgrader assignments."""
    ctx.obj = Context(root)
