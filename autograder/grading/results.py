"""What the autograder learned about each submission, stored beside nbgrader's gradebook.

nbgrader's tables hold the scores (the record formgrader and feedback use). They
have no place for why a submission could not be graded, which cells a student
deleted, or when we graded it; that goes in one extra table, `autograder_results`,
in the same database, so reports and exports read a single source.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
)

from autograder.grading import db

metadata = MetaData()

results_table = Table(
    "autograder_results",
    metadata,
    Column("assignment", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("max_score", Float, nullable=False),
    Column("late_penalty", Float, nullable=False, default=0.0),
    Column("messages", Text, nullable=False, default="[]"),
    Column("graded_at", DateTime(timezone=True), nullable=False),
    Column("digest", String(64), nullable=False, default=""),
)

GRADED = "graded"
UNGRADABLE = "ungradable"  # nothing could be run: scored zero, with the reason
ERROR = "error"  # the grader itself failed on this submission
TAMPER = "tamper"  # graded, but the notebook tried to change how it was graded


@dataclass
class StudentResult:
    student: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    late_penalty: float = 0.0
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0


def save(db_url: str, assignment_id: str, result: StudentResult, digest: str = "") -> None:
    engine = db.engine(db_url)
    db.create_missing_tables(metadata, engine)
    with engine.begin() as conn:
        conn.execute(
            delete(results_table).where(
                results_table.c.assignment == assignment_id,
                results_table.c.student == result.student,
            )
        )
        conn.execute(
            results_table.insert().values(
                assignment=assignment_id,
                student=result.student,
                status=result.status,
                score=result.score,
                max_score=result.max_score,
                late_penalty=result.late_penalty,
                messages=json.dumps(result.messages),
                graded_at=dt.datetime.now(dt.timezone.utc),
                digest=digest,
            )
        )


def _rows(db_url: str, assignment_id: str) -> list:
    engine = db.engine(db_url)
    db.create_missing_tables(metadata, engine)
    with engine.connect() as conn:
        return conn.execute(
            select(results_table).where(results_table.c.assignment == assignment_id)
        ).all()


def load(db_url: str, assignment_id: str) -> dict[str, StudentResult]:
    return {
        r.student: StudentResult(
            student=r.student,
            status=r.status,
            score=r.score,
            max_score=r.max_score,
            late_penalty=r.late_penalty,
            messages=json.loads(r.messages),
        )
        for r in _rows(db_url, assignment_id)
    }


def load_digests(db_url: str, assignment_id: str) -> dict[str, str]:
    """student -> digest of the inputs their recorded result was computed from."""
    return {r.student: r.digest for r in _rows(db_url, assignment_id) if r.digest}


def record_zero(db_url: str, course_id: str, assignment_id: str, student: str) -> None:
    """Give every graded cell of a submission zero, as nbgrader does for a missing notebook."""
    with Gradebook(db_url, course_id) as gb:
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment_id, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()


def gradebook_score(
    db_url: str, course_id: str, assignment_id: str, student: str
) -> tuple[float, float, float]:
    """(score after penalty, max score, late penalty) as nbgrader recorded them."""
    with Gradebook(db_url, course_id) as gb:
        try:
            submission = gb.find_submission(assignment_id, student)
        except MissingEntry:
            return 0.0, 0.0, 0.0
        penalty = float(submission.late_submission_penalty or 0.0)
        return float(submission.score) - penalty, float(submission.max_score), penalty
