"""A roster made the course's record: the roster file beside the gradebook, and
the students in nbgrader's gradebook, where formgrader and the exports look for them.

Students who left the roster stay in the gradebook with their grades (a record is
never deleted by an import); they are only no longer on the roster, so they can no
longer sign in to the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.delivery.roster import Roster, load_roster, write_roster
from autograder.nbgrader.db import gradebook


@dataclass(frozen=True)
class Enrolment:
    added: tuple[str, ...]
    updated: tuple[str, ...]
    left: tuple[str, ...]  # on the previous roster, not on this one: kept in the gradebook


def roster_path(course_dir: Path) -> Path:
    return course_dir / "roster.csv"


def enrol(roster: Roster, course_dir: Path, db_url: str, course_id: str) -> Enrolment:
    course_dir.mkdir(parents=True, exist_ok=True)  # a course with no assignment yet has none
    before = {s.username for s in load_roster(roster_path(course_dir))}
    now = [s.username for s in roster.students]
    with gradebook(db_url, course_id) as gb:
        known = {s.id for s in gb.students}
        for student in roster.students:
            first, _, last = student.display_name.partition(" ")
            gb.update_or_create_student(
                student.username,
                first_name=first,
                last_name=last,
                email=student.email or None,
                lms_user_id=student.student_id or None,
            )
    write_roster(roster, roster_path(course_dir))
    return Enrolment(
        added=tuple(u for u in now if u not in known),
        updated=tuple(u for u in now if u in known),
        left=tuple(sorted(before - set(now))),
    )
