"""Commands for authors: build the book and releases, release one assignment, validate."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from rich.text import Text

from autograder.book import site as book_mod
from autograder.cli.app import Context, db_option, literal, out, pass_ctx, require_teacher
from autograder.course.config import load_all, load_course

if TYPE_CHECKING:
    from autograder.authoring.validate import Check


@click.command()
@click.option("--skip-book", is_flag=True, help="Only generate the releases and book sources.")
@db_option
@pass_ctx
def build(ctx: Context, skip_book: bool, db: str | None) -> None:
    """Build all student releases and the whole book (lectures executed, cached)."""
    from autograder.authoring.release import generate_release

    if not skip_book:
        require_teacher("jupyter_book", "sphinx-mathjax-offline")  # run as a program
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
@click.argument("assignment_id", required=False)
@click.option("--lectures/--no-lectures", default=True, help="Execute the lectures.")
@click.option("--assignments/--no-assignments", default=True, help="Grade solution and release.")
@click.option("--workers", type=int, default=None, help="Parallel checks (default: cores).")
@click.option(
    "--mutants", is_flag=True, help="Also grade mutants of each solution (mutation score)."
)
@pass_ctx
def validate(
    ctx: Context,
    course_id: str | None,
    assignment_id: str | None,
    lectures: bool,
    assignments: bool,
    workers: int | None,
    mutants: bool,
) -> None:
    """Check that lectures run and assignments grade correctly (full marks / zero), and
    that no counterexample earns more than its cap. With ASSIGNMENT, only that one."""
    from autograder.authoring.validate import validate as run_validate

    courses = [load_course(ctx.repo, course_id)] if course_id else load_all(ctx.repo)
    if assignment_id is not None:
        courses[0].assignment(assignment_id)  # an unknown id is named, with the known ones
    checks = run_validate(
        ctx.repo, courses, lectures, assignments, workers, _show, mutants, assignment_id
    )
    _conclude(checks)


def _show(check: Check) -> None:
    mark = ("ok", "green") if check.ok else ("FAIL", "red")
    out.print(Text.assemble(mark, f" {check.name} ({check.seconds:.1f} s)"))
    for problem in check.problems:
        out.print(literal(f"    {problem}"))
    for note in check.notes:
        out.print(literal(f"    {note}"))


def _conclude(checks: list[Check]) -> None:
    failed = [c for c in checks if not c.ok]
    out.print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(1)


@click.command()
@click.argument("course_id")
@click.argument("assignment_id", required=False)
@click.option("--workers", type=int, default=None, help="Assignments at a time (default: cores).")
@pass_ctx
def audit(ctx: Context, course_id: str, assignment_id: str | None, workers: int | None) -> None:
    """How strong an assignment's tests are: grade mutants of the solution and show the
    mutation score per assignment and per test, and every surviving mutant as a diff.
    Writes mutation.json and mutation.html beside the report
    (assignments/<course>/reports/<assignment>/)."""
    from autograder.authoring.validate import validate as run_validate
    from autograder.reporting.mutation_page import write

    course = load_course(ctx.repo, course_id)
    if assignment_id is not None:
        course.assignment(assignment_id)  # an unknown id is named before anything runs
    checks = run_validate(
        ctx.repo, [course], False, True, workers, _show, mutants=True, only=assignment_id
    )
    for check in checks:
        if check.mutation is None:
            continue
        result = check.mutation
        out.print(literal(f"{course.id}/{result.assignment_id}: {result.summary()}"))
        for test in result.tests:
            out.print(
                literal(
                    f"    {test.grade_id}: refuses {test.killed} of the {test.reach} mutants "
                    f"in the answers it uses ({test.score:.2f})"
                )
            )
        for survivor in result.survivors:
            out.print(literal(f"  survives {survivor.describe()}"))
        folder = ctx.repo.course_dir(course.id) / "reports" / result.assignment_id
        page = write(result, folder)
        out.print(literal(f"wrote {ctx.repo.rel(page)}"))
    _conclude(checks)
