"""`autograder grade`: grade a folder or zip of submissions and show the results table."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from autograder.cli.app import (
    Context,
    db_option,
    err,
    literal,
    out,
    pass_ctx,
    require_teacher,
)
from autograder.course.config import load_course
from autograder.course.errors import AutograderError

if TYPE_CHECKING:
    from autograder.grading.collect import Submission
    from autograder.grading.job import GradingContext
    from autograder.grading.store import StudentResult


@click.command()
@click.argument("course_id")
@click.argument("assignment_id")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--student", "students", multiple=True, help="Grade only this student (repeatable).")
@click.option("--force", is_flag=True, help="Regrade even submissions already recorded unchanged.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Grading workers (default: number of cores).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Run the grading tasks on a Dask cluster (e.g. tcp://host:8786).",
)
@click.option(
    "--no-sandbox",
    "no_sandbox",
    is_flag=True,
    help="Grade WITHOUT isolating student code (only where bubblewrap cannot run).",
)
@db_option
@pass_ctx
def grade(
    ctx: Context,
    course_id: str,
    assignment_id: str,
    submissions: Path,
    students: tuple[str, ...],
    force: bool,
    workers: int | None,
    scheduler: str | None,
    no_sandbox: bool,
    db: str | None,
) -> None:
    """Autograde every submission in SUBMISSIONS (nbgrader layout, folder or .zip).

    Submissions already recorded with the same files and assignment are skipped, so an
    interrupted run can simply be started again; --force regrades them.
    """
    from autograder.grading.backends import local as pool

    if scheduler is None:
        pool.start()  # the local workers' imports, on another core, while ours load
    else:
        require_teacher("distributed")  # before any work: Dask is in the teacher part
    from autograder.grading.collect import discover, opened
    from autograder.grading.coordinator import grade_all
    from autograder.grading.job import GradingContext
    from autograder.grading.scores import breakdowns
    from autograder.runtime.sandbox import require

    course = load_course(ctx.repo, course_id)
    assignment = course.assignment(assignment_id)
    sandboxed = require(allow_unsandboxed=no_sandbox, secrets=[ctx.repo.root, submissions])
    if not sandboxed:
        err.print(
            "[bold red]WARNING: grading WITHOUT a sandbox. Student code runs with your rights "
            "and can read or change anything you can, including the gradebook.[/]"
        )
    url = ctx.db_url(course, db)
    grading = GradingContext(course, assignment, ctx.repo.course_dir(course.id), url)
    with opened(submissions) as inbox:
        for warning in inbox.warnings:
            err.print(Text.assemble(("warning:", "bold yellow"), " ", warning))
        found = discover(inbox, assignment, ctx.repo.source_dir(course.id, assignment.id))
        if students:
            unknown = sorted(set(students) - {s.student for s in found})
            if unknown:
                raise AutograderError(f"{submissions}: no submission from {', '.join(unknown)}")
            found = [s for s in found if s.student in students]
        if not found:
            raise AutograderError(f"{submissions}: no submissions found for {assignment.id}")
        rejected = [s for s in found if s.rejected]
        found = [s for s in found if not s.rejected]
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        skipped: list[str] = []
        with Progress(*columns, console=err, transient=False) as progress:
            task = progress.add_task(f"grading {course.id}/{assignment.id}", total=len(found))

            def done(result) -> None:
                progress.update(task, advance=1, description=f"graded {escape(result.student)}")

            def skip(result) -> None:
                skipped.append(result.student)
                progress.update(
                    task, advance=1, description=f"already graded {escape(result.student)}"
                )

            graded = grade_all(
                grading,
                found,
                done,
                workers=workers,
                sandboxed=sandboxed,
                force=force,
                scheduler=scheduler,
                on_skip=skip,
                prepare=lambda: _release_if_stale(ctx, grading),
            )
    graded += [_record_rejected(grading, sub) for sub in rejected]
    # Cells a person grades have no score yet: such a total is not final (grading/scores.py).
    manual = any(spec.manual for spec in assignment.notebooks)
    split = breakdowns(url, course.id, assignment) if manual else {}
    table = Table(title=f"{course.id}/{assignment.id}: {len(graded)} submissions")
    headers = ("student", "score", "graded by a person", "status", "notes")
    for header in headers if manual else headers[:2] + headers[3:]:
        table.add_column(header, overflow="fold")
    for r in sorted(graded, key=lambda r: r.student):
        notes = "\n".join(r.messages[:6])
        if len(r.messages) > 6:
            notes += f"\n(+{len(r.messages) - 6} more)"
        if r.student in skipped:
            notes = "(unchanged since it was graded; --force regrades)\n" + notes
        row = [literal(r.student), literal(f"{r.score:g} / {r.max_score:g}")]
        if manual:
            b = split.get(r.student)
            row.append(literal(f"{b.manual:g} / {b.manual_max:g}" if b else ""))
            if b is not None and not b.complete:
                row[1] = literal(f"{b.autograded:g} / {b.autograded_max:g} autograded, not final")
                points = f"{b.waiting_points:g} point" + ("" if b.waiting_points == 1 else "s")
                row[2] = literal(f"waiting: {', '.join(b.waiting)} ({points})")
        table.add_row(*row, literal(r.status), literal(notes))
    out.print(table)
    counts = Counter(r.status for r in graded)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    out.print(
        literal(f"{len(graded)} submissions: {summary}; {len(skipped)} unchanged since last graded")
    )
    waiting = sum(not b.complete for b in split.values())
    if waiting:
        out.print(
            literal(
                f"{waiting} submissions wait for grading by a person: run `nbgrader formgrader` "
                f"in {ctx.repo.rel(ctx.repo.course_dir(course.id))}/ and grade "
                "the answers and tasks marked as needing manual grading"
            )
        )
    if counts.get("error"):
        sys.exit(1)


def _record_rejected(grading: GradingContext, sub: Submission) -> StudentResult:
    """Record a submission that collecting refused (see grading/collect.py) as ungradable:
    zero points and the reason, like a notebook that cannot be read, so that report,
    feedback and export show it and the teacher knows what to fix."""
    from autograder.grading.job import record_ungradable

    messages = [
        *sub.notes,
        *sub.rejected,
        "not graded: it scores zero until the problem above is fixed and it is graded again",
    ]
    return record_ungradable(grading, sub.student, messages)


def _release_if_stale(ctx: Context, grading: GradingContext) -> None:
    """Make the release when the gradebook has none made from the current source, as
    `autograder release` would: grading checks it and never makes it itself."""
    from autograder.authoring.release import generate_release
    from autograder.course.sources import assignment_digest
    from autograder.grading.coordinator import release_problem

    digest = assignment_digest(grading.assignment, grading.source_dir).hexdigest()
    if release_problem(grading, digest) is None:
        return
    ctx.write_nbgrader_config(grading.course, grading.db_url)
    course, assignment = grading.course, grading.assignment
    path = generate_release(course, assignment, grading.course_root, grading.db_url)
    err.print(literal(f"released {course.id}/{assignment.id} first: {ctx.repo.rel(path)}"))
