"""Commands that read the gradebook: feedback for students, exports and the teacher's report."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from autograder.cli.app import Context, db_option, literal, out, pass_ctx
from autograder.course.config import load_course
from autograder.course.errors import AutograderError


@click.command()
@click.argument("course_id")
@click.argument("assignment_id")
@click.option("--student", default=None, help="Only this student.")
@db_option
@pass_ctx
def feedback(
    ctx: Context, course_id: str, assignment_id: str, student: str | None, db: str | None
) -> None:
    """Write per-student HTML feedback for graded submissions."""
    from autograder.grading.scores import breakdowns
    from autograder.reporting.feedback import generate

    course = load_course(ctx.repo, course_id)
    assignment = course.assignment(assignment_id)
    url = ctx.db_url(course, db)
    written = generate(course, assignment, ctx.repo.course_dir(course.id), url, student)
    if not written:
        raise AutograderError(
            f"{course.id}/{assignment.id}: nothing graded yet; run autograder grade first"
        )
    split = breakdowns(url, course.id, assignment)
    failed = False
    for sid, where in written.items():
        if isinstance(where, Path):
            b = split.get(sid)
            waiting = (
                f" (not final: {', '.join(b.waiting)} still to be graded by a person in "
                "formgrader; run feedback again afterwards)"
                if b is not None and not b.complete
                else ""
            )
            out.print(literal(f"{sid}: {ctx.repo.rel(where)}{waiting}"))
        else:
            failed = True
            out.print(literal(f"{sid}: {where}", "red"))
    if failed:
        sys.exit(1)


@click.command()
@click.argument("course_id")
@click.argument("assignment_id", required=False)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the CSV files (default: assignments/<course>/exports).",
)
@db_option
@pass_ctx
def export(
    ctx: Context, course_id: str, assignment_id: str | None, out_dir: Path | None, db: str | None
) -> None:
    """Write grades.csv (per student) and questions.csv (per question) from the gradebook."""
    from autograder.reporting.export import export as do_export

    course = load_course(ctx.repo, course_id)
    ids = [course.assignment(assignment_id).id] if assignment_id else None
    target = out_dir or ctx.repo.course_dir(course.id) / "exports"
    for path in do_export(course, ctx.db_url(course, db), target, ids):
        out.print(literal(f"wrote {ctx.repo.rel(path)}"))


@click.command()
@click.argument("course_id")
@click.argument("assignment_id")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the page (default: assignments/<course>/reports/<assignment>).",
)
@db_option
@pass_ctx
def report(
    ctx: Context, course_id: str, assignment_id: str, out_dir: Path | None, db: str | None
) -> None:
    """Write an HTML report (with PNG figures) of an assignment's results for the teacher."""
    from autograder.reporting.teacher_report import write

    course = load_course(ctx.repo, course_id)
    assignment = course.assignment(assignment_id)
    root = ctx.repo.course_dir(course.id)
    target = out_dir or root / "reports" / assignment.id
    page = write(course, assignment, root, ctx.db_url(course, db), target)
    out.print(literal(f"wrote {ctx.repo.rel(page)}"))
