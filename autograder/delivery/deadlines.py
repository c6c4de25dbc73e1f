"""Grading at the deadline, with no teacher at the keyboard.

Once an assignment's due date and its late window (`late_policy.max_days_late`) have
passed, the deadline service runs what a teacher would: `collect`, `grade`,
`feedback`, `return` and `report`, each as the same `autograder` command in a process
of its own (one way to do each step, and a crash in one assignment's grading never
stops the service). Every step is logged with its exit status and time, in the
service's output (the hub's log) and in `assignments/<course>/deadlines/<assignment>.log`,
and the run is recorded in `<assignment>.json` beside it, so an assignment is handled
once, also across restarts. `grade_at_deadline: false` in the config leaves an
assignment to the teacher.

A due date without a time zone is read as UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

from autograder.course.config import Assignment, Course

UTC = timezone.utc  # datetime.UTC is 3.11+; the toolkit runs on 3.10
STEPS = ("collect", "grade", "feedback", "return", "report")
EXCHANGE_STEPS = {"collect", "return"}
# `grade` exits 1 when some submission could not be graded (it is recorded as such);
# the others still get their feedback.
CARRY_ON = {"grade": {0, 1}}


@dataclass(frozen=True)
class Due:
    course: str
    assignment: str
    closed: dt.datetime


def closes(assignment: Assignment) -> dt.datetime | None:
    """When no more submissions count: the due date plus the late window, if any."""
    if assignment.due is None:
        return None
    due = assignment.due if assignment.due.tzinfo else assignment.due.replace(tzinfo=UTC)
    days = assignment.late_policy.max_days_late if assignment.late_policy else None
    return due + dt.timedelta(days=days or 0)


def record_path(course_dir: Path, assignment_id: str) -> Path:
    return course_dir / "deadlines" / f"{assignment_id}.json"


def due_now(courses: list[Course], course_dirs: dict[str, Path], now: dt.datetime) -> list[Due]:
    """Assignments whose window has closed, that the service handles and has not yet."""
    found = []
    for course in courses:
        for assignment in course.assignments:
            closed = closes(assignment)
            if closed is None or closed > now or not assignment.grade_at_deadline:
                continue
            if record_path(course_dirs[course.id], assignment.id).is_file():
                continue
            found.append(Due(course.id, assignment.id, closed))
    return found


def handle(
    due: Due, course_dir: Path, command: list[str], exchange: Path, say: Callable[[str], None]
) -> bool:
    """Run the steps for one assignment; True when all of them did their work."""
    folder = course_dir / "deadlines"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{due.assignment}.log"
    steps = []
    ok = True

    def note(text: str) -> None:
        line = f"{dt.datetime.now(UTC):%Y-%m-%d %H:%M:%S} {due.course}/{due.assignment}: {text}"
        say(line)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    note(f"closed at {due.closed:%Y-%m-%d %H:%M} UTC; collecting, grading and returning")
    for step in STEPS:
        argv = [*command, step, due.course, due.assignment]
        if step == "grade":
            submitted = course_dir / "submitted"
            if not any(submitted.glob(f"*/{due.assignment}")):
                note("no submissions; nothing to grade")
                break
            argv.append(str(submitted))
        if step in EXCHANGE_STEPS:
            argv += ["--exchange", str(exchange)]
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True)
        seconds = time.monotonic() - started
        steps.append({"step": step, "exit": done.returncode, "seconds": round(seconds, 1)})
        with log.open("a", encoding="utf-8") as handle:
            handle.write(done.stdout + done.stderr)
        note(f"{step}: exit {done.returncode} in {seconds:.1f} s")
        if done.returncode not in CARRY_ON.get(step, {0}):
            note(f"stopped: {step} failed; run it by hand after fixing the cause (log: {log})")
            ok = False
            break
    record = {
        "closed": due.closed.isoformat(),
        "handled": dt.datetime.now(UTC).isoformat(),
        "ok": ok,
        "steps": steps,
    }
    record_path(course_dir, due.assignment).write_text(json.dumps(record, indent=1))
    return ok


def command() -> list[str]:
    """The `autograder` command the service runs its steps with (this installation's)."""
    return [str(Path(sys.executable).parent / "autograder")]
