"""Delivering a course: its roster, and its assignments through nbgrader's exchange.

`roster import` reads the class list Moodle or Canvas exports; `publish`, `collect` and
`return` move an assignment's release out to the students, their submissions in (into
`submitted/`, where `grade` reads them) and their feedback back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from autograder.cli.app import Context, db_option, literal, out, pass_ctx, require_teacher
from autograder.course.config import load_course

if TYPE_CHECKING:
    from autograder.delivery.exchange import Target


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


exchange_option = click.option(
    "--exchange",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="nbgrader's exchange folder (default: $AUTOGRADER_EXCHANGE, else /srv/nbgrader/exchange).",
)


def _target(
    ctx: Context, course_id: str, assignment_id: str, exchange: Path | None, db: str | None
) -> Target:
    """The assignment (checked against its course's config) and the exchange it goes through."""
    from autograder.delivery.exchange import Target, exchange_root

    course = load_course(ctx.repo, course_id)
    assignment = course.assignment(assignment_id)
    return Target(
        ctx.repo.course_dir(course.id),
        course.id,
        assignment.id,
        exchange_root(exchange),
        ctx.db_url(course, db),
    )


@click.command()
@click.argument("course_id")
@click.argument("assignment_id")
@exchange_option
@click.option("--force", is_flag=True, help="Replace an assignment already published.")
@db_option
@pass_ctx
def publish(
    ctx: Context,
    course_id: str,
    assignment_id: str,
    exchange: Path | None,
    force: bool,
    db: str | None,
) -> None:
    """Release ASSIGNMENT to the exchange: students fetch it in their Assignments tab."""
    from autograder.delivery import exchange as ex

    target = _target(ctx, course_id, assignment_id, exchange, db)
    path = ex.publish(target, force)
    out.print(literal(f"published {target.course_id}/{target.assignment_id} -> {path}"))


@click.command()
@click.argument("course_id")
@click.argument("assignment_id")
@exchange_option
@db_option
@pass_ctx
def collect(
    ctx: Context, course_id: str, assignment_id: str, exchange: Path | None, db: str | None
) -> None:
    """Each student's newest submission into submitted/, ready for `autograder grade`."""
    from autograder.delivery import exchange as ex

    target = _target(ctx, course_id, assignment_id, exchange, db)
    result = ex.collect(target)
    for name, why in result.refused:
        out.print(literal(f"refused {name}: {why} (moved to the exchange's refused/)", "yellow"))
    out.print(
        literal(
            f"collected {len(result.students)} submissions of {target.course_id}/"
            f"{target.assignment_id} into {ctx.repo.rel(target.course_dir / 'submitted')}"
        )
    )


@click.command("return")
@click.argument("course_id")
@click.argument("assignment_id")
@exchange_option
@db_option
@pass_ctx
def return_feedback(
    ctx: Context, course_id: str, assignment_id: str, exchange: Path | None, db: str | None
) -> None:
    """Send each student their feedback (from `autograder feedback`) through the exchange."""
    from autograder.delivery import exchange as ex

    target = _target(ctx, course_id, assignment_id, exchange, db)
    students = ex.return_feedback(target)
    out.print(
        literal(
            f"returned feedback of {target.course_id}/{target.assignment_id} "
            f"to {len(students)} students"
        )
    )


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--ip", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option(
    "--state",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/srv/autograder-hub"),
    show_default=True,
    help="The hub's own files: its database, cookie secret, passwords.",
)
@exchange_option
@click.option(
    "--extra-config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Your own JupyterHub settings, loaded last (e.g. single sign-on; see deploy/README.md).",
)
@click.option(
    "--deadlines/--no-deadlines",
    default=True,
    show_default=True,
    help="Run the deadline service: grade and return each assignment when it closes.",
)
@click.option(
    "--check", "check_only", is_flag=True, help="Check and write the config; do not start."
)
@pass_ctx
def hub(
    ctx: Context,
    port: int,
    ip: str,
    state: Path,
    exchange: Path | None,
    extra_config: Path | None,
    deadlines: bool,
    check_only: bool,
) -> None:
    """Serve the courses on a JupyterHub (in the foreground): roster students and teachers
    sign in, set their password the first time, and work in JupyterLab with nbgrader's
    Assignments tab. Needs root, bubblewrap and configurable-http-proxy (npm)."""
    import os

    require_teacher("jupyterhub", "firstuseauthenticator")  # the hub runs as a program

    from autograder.course.config import load_all
    from autograder.delivery import exchange as ex
    from autograder.delivery import hub as hub_mod

    courses = load_all(ctx.repo)
    folders = {c.id: ctx.repo.course_dir(c.id) for c in courses}
    plan = hub_mod.plan(courses, folders, ip, port, state, ex.exchange_root(exchange))
    problems = hub_mod.check(plan)
    if problems:
        raise hub_mod.HubProblem(
            "the hub cannot start:\n" + "\n".join(f"- {problem}" for problem in problems)
        )
    from autograder.delivery.lectures import write_lectures

    lectures = write_lectures(ctx.repo.book, courses, plan.lectures)
    for course in courses:  # formgrader reads the course folder's nbgrader settings
        if course.id in plan.formgraders:
            ctx.write_nbgrader_config(course, ctx.db_url(course, None))
    made = hub_mod.ensure_users(plan.users)
    if made:
        out.print(literal(f"system users made: {', '.join(made)}"))
    service = None
    if deadlines:
        from autograder.delivery.deadlines import command

        service = [
            *command(),
            "--root",
            str(ctx.repo.root),
            "deadlines",
            "--exchange",
            str(plan.exchange),
        ]
    config = hub_mod.write_config(plan, extra_config, service)
    out.print(
        literal(
            f"{len(plan.users)} users may sign in ({len(plan.admins)} teachers) to "
            f"{', '.join(c.id for c in courses)} ({len(lectures)} lectures); config {config}"
        )
    )
    if check_only:
        return
    argv = hub_mod.command(config)
    os.chdir(state)
    os.execv(argv[0], argv)


@click.command()
@exchange_option
@click.option(
    "--every",
    type=click.IntRange(min=10),
    default=300,
    show_default=True,
    help="Seconds between looks at the due dates.",
)
@click.option("--once", is_flag=True, help="Look once, handle what is due, and stop.")
@pass_ctx
def deadlines(ctx: Context, exchange: Path | None, every: int, once: bool) -> None:
    """Collect, grade, give feedback on and return each assignment once its due date and
    late window have passed (`grade_at_deadline: false` leaves one to you). The hub runs
    this as a service; its log is the hub's and assignments/<course>/deadlines/."""
    import datetime as dt
    import time

    from autograder.course.config import load_all
    from autograder.delivery import deadlines as dl
    from autograder.delivery import exchange as ex

    root = ex.exchange_root(exchange)
    while True:
        courses = load_all(ctx.repo)
        folders = {c.id: ctx.repo.course_dir(c.id) for c in courses}
        due = dl.due_now(courses, folders, dt.datetime.now(dl.UTC))
        if not due:
            out.print(literal("deadlines: nothing due"))
        for item in due:
            dl.handle(
                item,
                folders[item.course],
                [*dl.command(), "--root", str(ctx.repo.root)],
                root,
                lambda line: out.print(literal(line)),
            )
        if once:
            return
        time.sleep(every)
