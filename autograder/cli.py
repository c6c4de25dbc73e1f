"""The `autograder` command line: every teacher task, on the embedded SQLite default.

Errors a user can act on (a wrong config, a missing file, an unknown course)
are printed as one clear message and exit with status 2; no traceback.

Text that came from outside the program (a student's error message, a notebook's
metadata, a file name, an error naming a file) is printed as rich `Text`, never as a
markup string: `[/]` or `[bold]` in it is shown as written instead of being read as
rich markup, which either restyled the output or crashed the command (MarkupError)
before it printed its results.
"""

from __future__ import annotations

import gc
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from autograder import book as book_mod
from autograder.config import Course, load_all, load_course
from autograder.errors import AutograderError
from autograder.paths import Repo

if TYPE_CHECKING:
    from autograder.grading.collect import Submission
    from autograder.grading.engine import GradingContext
    from autograder.grading.results import StudentResult

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
        from autograder.nbgrader_setup import write_config_file  # nbgrader: 1 s to import

        url = db or self.repo.default_db_url(course.id)
        write_config_file(self.repo, course, url)
        return url


pass_ctx = click.make_pass_decorator(Context)
db_option = click.option(
    "--db",
    metavar="URL",
    default=None,
    help="Gradebook as an SQLAlchemy URL (default: SQLite inside the course folder).",
)


class FriendlyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AutograderError as exc:
            err.print(Text.assemble(("error:", "bold red"), " ", str(exc)))
            sys.exit(2)


def run() -> None:
    """The `autograder` command: `main`, in a process of its own that ends with it.

    While the interpreter shuts down it runs the cycle collector over the whole heap,
    more than once: with nbgrader and Jupyter loaded, 0.2-0.3 s after every command.
    The heap is frozen out of the collector's reach first; everything is still released
    and closed as the modules are torn down, and only objects in reference cycles are
    left to the operating system, as they would be at any process exit."""
    try:
        main()
    finally:
        gc.freeze()


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


@main.command()
@click.option("--skip-book", is_flag=True, help="Only generate the releases and book sources.")
@db_option
@pass_ctx
def build(ctx: Context, skip_book: bool, db: str | None) -> None:
    """Build all student releases and the whole book (lectures executed, cached)."""
    from autograder.release import generate_release

    courses = load_all(ctx.repo)
    for course in courses:
        url = ctx.db_url(course, db)
        for assignment in course.assignments:
            path = generate_release(course, assignment, ctx.repo.course_dir(course.id), url)
            out.print(literal(f"released {course.id}/{assignment.id} -> {ctx.repo.rel(path)}"))
    book_mod.write_sources(ctx.repo, courses)
    if skip_book:
        return
    index = book_mod.build_html(ctx.repo)
    out.print(literal(f"book built: {ctx.repo.rel(index)}"))


@main.command()
@click.argument("course_id")
@click.argument("assignment_id")
@db_option
@pass_ctx
def release(ctx: Context, course_id: str, assignment_id: str, db: str | None) -> None:
    """Generate the student version of ASSIGNMENT (no solutions, no hidden tests)."""
    from autograder.release import generate_release

    course = load_course(ctx.repo, course_id)
    assignment = course.assignment(assignment_id)
    path = generate_release(
        course, assignment, ctx.repo.course_dir(course.id), ctx.db_url(course, db)
    )
    out.print(literal(f"released {course.id}/{assignment.id} -> {ctx.repo.rel(path)}"))


@main.command()
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
    from autograder.grading import pool

    if scheduler is None:
        pool.start()  # the local workers' imports, on another core, while ours load
    from autograder.grading.collect import discover, opened
    from autograder.grading.engine import GradingContext, grade_all
    from autograder.grading.scores import breakdowns
    from autograder.sandbox import require

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
            )
    graded += [_record_rejected(grading, sub) for sub in rejected]
    # Cells a person grades have no score yet: such a total is not final (grading/scores.py).
    manual = any(spec.manual for spec in assignment.notebooks)
    split = breakdowns(url, course.id, assignment) if manual else {}
    table = Table(title=f"{course.id}/{assignment.id}: {len(graded)} submissions")
    columns = ("student", "score", "graded by a person", "status", "notes")
    for column in columns if manual else columns[:2] + columns[3:]:
        table.add_column(column, overflow="fold")
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
    from autograder.grading.engine import record_ungradable

    messages = [
        *sub.notes,
        *sub.rejected,
        "not graded: it scores zero until the problem above is fixed and it is graded again",
    ]
    return record_ungradable(grading, sub.student, messages)


@main.command()
@click.argument("course_id")
@click.argument("assignment_id")
@click.option("--student", default=None, help="Only this student.")
@db_option
@pass_ctx
def feedback(
    ctx: Context, course_id: str, assignment_id: str, student: str | None, db: str | None
) -> None:
    """Write per-student HTML feedback for graded submissions."""
    from autograder.feedback import generate
    from autograder.grading.scores import breakdowns

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


@main.command()
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
    from autograder.export import export as do_export

    course = load_course(ctx.repo, course_id)
    ids = [course.assignment(assignment_id).id] if assignment_id else None
    target = out_dir or ctx.repo.course_dir(course.id) / "exports"
    for path in do_export(course, ctx.db_url(course, db), target, ids):
        out.print(literal(f"wrote {ctx.repo.rel(path)}"))


@main.command()
@click.argument("course_id", required=False)
@click.option("--lectures/--no-lectures", default=True, help="Execute the lectures.")
@click.option("--assignments/--no-assignments", default=True, help="Grade solution and release.")
@click.option("--workers", type=int, default=None, help="Parallel checks (default: cores).")
@pass_ctx
def validate(
    ctx: Context, course_id: str | None, lectures: bool, assignments: bool, workers: int | None
) -> None:
    """Check that lectures run and assignments grade correctly (full marks / zero)."""
    from autograder.validate import validate as run_validate

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


@main.command()
@click.argument("notebook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--timeout", type=int, default=None, help="Seconds per cell (default: the assignment's)."
)
def check(notebook: Path, timeout: int | None) -> None:
    """Self-check a student NOTEBOOK against its visible tests (no hidden tests needed)."""
    from autograder.check import FAIL, PASS, TODO, check_notebook

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
    if not (report.gradable and report.all_pass and not report.unanswered):
        sys.exit(1)


@main.command()
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
    from autograder.report import write

    course = load_course(ctx.repo, course_id)
    assignment = course.assignment(assignment_id)
    root = ctx.repo.course_dir(course.id)
    target = out_dir or root / "reports" / assignment.id
    page = write(course, assignment, root, ctx.db_url(course, db), target)
    out.print(literal(f"wrote {ctx.repo.rel(page)}"))
