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
    from autograder.student.selfcheck import FAIL, PASS, TODO, check_notebook

    out.print(literal(f"Checking {notebook.name} against its visible tests..."))
    report = check_notebook(notebook, timeout)
    if report.course:
        out.print(literal(f"Assignment: {report.course} / {report.assignment}"))
    marks = {PASS: ("PASS", "green"), FAIL: ("FAIL", "red"), TODO: ("TODO", "yellow")}
    for test in report.tests:
        line = f" {test.grade_id} ({test.points:g} points)"
        if test.message:
            line += f": {test.message}"
        out.print(Text.assemble("  ", marks.get(test.status, ("NOT RUN", "red")), line))
    if report.unanswered:
        out.print(literal(f"Not answered yet: {', '.join(report.unanswered)}"))
    if report.forbidden:
        out.print(
            "[red]Uses what this assignment forbids: it works here, but raises "
            "ForbiddenError when your work is graded, and the tests using it fail:[/]"
        )
        for use in report.forbidden:
            out.print(literal(f"  - {use}"))
    if report.kernel_died:
        out.print(
            "[red]The notebook stopped its own kernel (exit() or a crash); "
            "the cells after that did not run.[/]"
        )
    if report.gradable:
        out.print("Gradable: yes (all graded cells present, once, with their metadata intact)")
    else:
        out.print("[red]Gradable: not as it stands[/]")
        for problem in report.gradability:
            out.print(literal(f"  - {problem}"))
    passed = sum(t.status == PASS for t in report.tests)
    out.print(
        f"{passed} of {len(report.tests)} visible tests pass. "
        "Hidden tests check more when your work is graded."
    )
    if not (report.gradable and report.all_pass and not report.unanswered) or report.forbidden:
        sys.exit(1)
