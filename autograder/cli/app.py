"""What every command shares: the consoles, the repository, the gradebook option, errors.

Errors a user can act on (a wrong config, a missing file, an unknown course)
are printed as one clear message and exit with status 2; no traceback.

Text that came from outside the program (a student's error message, a notebook's
metadata, a file name, an error naming a file) is printed as rich `Text`, never as a
markup string: `[/]` or `[bold]` in it is shown as written instead of being read as
rich markup, which either restyled the output or crashed the command (MarkupError)
before it printed its results.
"""

from __future__ import annotations

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


class FriendlyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AutograderError as exc:
            err.print(Text.assemble(("error:", "bold red"), " ", str(exc)))
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
