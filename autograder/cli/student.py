"""`autograder check`: the student's self-check, which needs no course repository."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.text import Text

from autograder.cli.app import literal, out


@click.command()
@click.argument("notebook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--timeout", type=int, default=None, help="Seconds per cell (default: the assignment's)."
)
def check(notebook: Path, timeout: int | None) -> None:
    """Self-check a student NOTEBOOK against its visible tests (no hidden tests needed)."""
    from autograder.student.selfcheck import all_clear, check_notebook, verdict

    out.print(literal(f"Checking {notebook.name} against its visible tests..."))
    report = check_notebook(notebook, timeout)
    for line in verdict(report):
        if line.mark:
            out.print(Text.assemble("  ", (line.mark, line.mark_style), line.text))
        else:
            out.print(literal(line.text, line.style))
    if not all_clear(report):
        sys.exit(1)
