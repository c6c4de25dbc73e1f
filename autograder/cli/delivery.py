"""`autograder roster import`: a course's students from the CSV Moodle or Canvas exports."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.app import Context, db_option, literal, out, pass_ctx
from autograder.course.config import load_course


@click.group()
def roster() -> None:
    """The students of a course (who may sign in to the hub, and who is graded)."""


@roster.command("import")
@click.argument("course_id")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@pass_ctx
def import_roster(ctx: Context, course_id: str, file: Path, db: str | None) -> None:
    """Read FILE, a participants or gradebook CSV exported from Moodle or Canvas.

    Columns used (Moodle / Canvas): the login from Username / SIS Login ID or Login ID
    (else the e-mail before its @); the name from First name + Last name / Student; the
    e-mail from Email address / Email; the student number from ID number / SIS User ID.
    Logins become safe system user names (lower case, å -> a); each change is listed.
    A file with any unusable line imports nothing and lists every such line."""
    from autograder.delivery.enrol import enrol, roster_path
    from autograder.delivery.roster import read_roster

    course = load_course(ctx.repo, course_id)
    students = read_roster(file)
    for line, raw, used in students.renamed:
        out.print(literal(f"line {line}: login {raw!r} is used as {used!r}", "yellow"))
    result = enrol(students, ctx.repo.course_dir(course.id), ctx.db_url(course, db), course.id)
    out.print(
        literal(
            f"{course.id}: {len(students.students)} students on the roster "
            f"({len(result.added)} new, {len(result.updated)} already known), "
            f"written to {ctx.repo.rel(roster_path(ctx.repo.course_dir(course.id)))}"
        )
    )
    if result.left:
        out.print(
            literal(
                f"{len(result.left)} no longer on the roster (kept in the gradebook with their "
                f"grades, no longer allowed to sign in): {', '.join(result.left)}",
                "yellow",
            )
        )
