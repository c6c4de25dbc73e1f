"""Commands for authors: build the book and releases, release one assignment, validate."""

from __future__ import annotations

import sys

import click
from rich.text import Text

from autograder.book import site as book_mod
from autograder.cli.app import Context, db_option, literal, out, pass_ctx
from autograder.course.config import load_all, load_course


@click.command()
@click.option("--skip-book", is_flag=True, help="Only generate the releases and book sources.")
@db_option
@pass_ctx
def build(ctx: Context, skip_book: bool, db: str | None) -> None:
    """Build all student releases and the whole book (lectures executed, cached)."""
    from autograder.authoring.release import generate_release

    courses = load_all(ctx.repo)
    for course in courses:
        url = ctx.db_url(course, db)
        ctx.write_nbgrader_config(course, url)
        for assignment in course.assignments:
            path = generate_release(course, assignment, ctx.repo.course_dir(course.id), url)
            out.print(literal(f"released {course.id}/{assignment.id} -> {ctx.repo.rel(path)}"))
    book_mod.write_sources(ctx.repo, courses)
    if skip_book:
        return
    index = book_mod.build_html(ctx.repo)
    out.print(literal(f"book built: {ctx.repo.rel(index)}"))


@click.command()
@click.argument("course_id")
@click.argument("assignment_id")
@db_option
@pass_ctx
def release(ctx: Context, course_id: str, assignment_id: str, db: str | None) -> None:
    """Generate the student version of ASSIGNMENT (no solutions, no hidden tests)."""
    from autograder.authoring.release import generate_release

    course = load_course(ctx.repo, course_id)
    assignment = course.assignment(assignment_id)
    url = ctx.db_url(course, db)
    ctx.write_nbgrader_config(course, url)
    path = generate_release(course, assignment, ctx.repo.course_dir(course.id), url)
    out.print(literal(f"released {course.id}/{assignment.id} -> {ctx.repo.rel(path)}"))


@click.command()
@click.argument("course_id", required=False)
@click.option("--lectures/--no-lectures", default=True, help="Execute the lectures.")
@click.option("--assignments/--no-assignments", default=True, help="Grade solution and release.")
@click.option("--workers", type=int, default=None, help="Parallel checks (default: cores).")
@pass_ctx
def validate(
    ctx: Context, course_id: str | None, lectures: bool, assignments: bool, workers: int | None
) -> None:
    """Check that lectures run and assignments grade correctly (full marks / zero)."""
    from autograder.authoring.validate import validate as run_validate

    courses = [load_course(ctx.repo, course_id)] if course_id else load_all(ctx.repo)

    def show(check) -> None:
        mark = ("ok", "green") if check.ok else ("FAIL", "red")
        out.print(Text.assemble(mark, f" {check.name} ({check.seconds:.1f} s)"))
        for problem in check.problems:
            out.print(literal(f"    {problem}"))
        for note in check.notes:
            out.print(literal(f"    {note}"))

    checks = run_validate(ctx.repo, courses, lectures, assignments, workers, show)
    failed = [c for c in checks if not c.ok]
    out.print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(1)
