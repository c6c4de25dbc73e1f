"""What the autograder learned about each submission, stored beside nbgrader's gradebook.

nbgrader's tables hold the scores (the record formgrader and feedback use). They
have no place for why a submission could not be graded, which cells a student
deleted, or when we graded it; that goes in tables of our own, in the same
database, so reports and exports read a single source:

- `autograder_results`: one row per submission (status, score, messages, and the
  digest of the inputs it was computed from);
- `autograder_test_results`: one row per graded cell of a submission: its kind, the
  points it earned, why (a `TestStatus`) and the message a person reads. nbgrader's
  grades stay the score of record (formgrader may change them later; read them
  through grading/scores.py); these rows keep what nbgrader has no place for, so the
  report and the exports read it here instead of parsing it out of messages;
- `autograder_releases`: per assignment, the digest of the source its release was
  made from, so grading can tell a release made from the current source;
- `autograder_schema`: the version of these tables. A gradebook from before the
  version existed is version 1 (only `autograder_results`); version 2 added
  `autograder_releases` and `autograder_test_results`. Tables are only ever added,
  so opening an older gradebook creates what it lacks and records the version; its
  submissions then simply have no per-test rows until they are graded again. A
  gradebook written by a newer autograder is refused, not silently misread.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from nbgrader.api import MissingEntry
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
)
from sqlalchemy.engine import Engine, Row

from autograder.course.cells import CellKind
from autograder.course.errors import AutograderError
from autograder.nbgrader import db, engines

SCHEMA_VERSION = 2

metadata = MetaData()

schema_table = Table(
    "autograder_schema",
    metadata,
    Column("version", Integer, primary_key=True),
)

releases_table = Table(
    "autograder_releases",
    metadata,
    Column("assignment", String(128), primary_key=True),
    Column("source_digest", String(64), nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=False),
)

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

tests_table = Table(
    "autograder_test_results",
    metadata,
    Column("assignment", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    Column("notebook", String(128), primary_key=True),
    Column("grade_id", String(128), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("points", Float, nullable=True),
    Column("max_points", Float, nullable=False),
    Column("status", String(32), nullable=False),
    Column("message", Text, nullable=False, default=""),
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


class TestStatus(str, enum.Enum):
    """Why a graded cell earned what it did, as the autograder saw it when it graded.

    The values are what the table stores: never rename one, only add."""

    PASSED = "passed"
    """Full points."""
    PARTIAL = "partial"
    """Ran without error; its output (nbgrader's partial credit) earned less than full."""
    FAILED = "failed"
    """An error (a failed assert, an exception), or no error but zero points: it wrote to
    stderr, which nbgrader scores as a failure, or its partial credit was zero."""
    UNANSWERED = "unanswered"
    """The code under test still raises NotImplementedError, or a written answer was
    handed in as released (nbgrader scores it zero itself)."""
    TIMEOUT = "timeout"
    """Stopped by the per-cell time limit, or by the notebook's time budget."""
    NOT_RUN = "not_run"
    """Never ran to an end: the kernel stopped before it (execution.enforce_verdicts'
    TestNotRun), or its notebook was not graded at all (unreadable or missing)."""
    WAITING = "waiting_for_person"
    """An answer or task a person grades in formgrader; no points until then."""


FAILING = frozenset(
    {TestStatus.FAILED, TestStatus.UNANSWERED, TestStatus.TIMEOUT, TestStatus.NOT_RUN}
)
"""Statuses that earned nothing and that a student must act on."""


@dataclass(frozen=True)
class TestResult:
    """One graded cell of one submission (the student and assignment are the caller's keys)."""

    __test__: ClassVar[bool] = False  # not a pytest test class, whatever its name

    notebook: str
    """The notebook's name in nbgrader's gradebook: the file name without `.ipynb`."""
    grade_id: str
    kind: CellKind
    """TEST, MANUAL (an answer a person grades) or TASK."""
    points: float | None
    """What nbgrader gave it when it was graded; None while it waits for a person."""
    max_points: float
    status: TestStatus
    message: str = ""
    """What went wrong, for a person: never the code of a hidden test."""


def _opened(db_url: str) -> Engine:
    """The gradebook's engine, with our tables present and their version checked."""
    engine = engines.engine(db_url)
    if db_url not in _checked:
        engines.create_missing_tables(metadata, engine)
        with engine.begin() as conn:
            found = conn.execute(select(schema_table.c.version)).scalars().all()
            if not found:
                conn.execute(schema_table.insert().values(version=SCHEMA_VERSION))
            elif max(found) > SCHEMA_VERSION:
                raise AutograderError(
                    f"{db.display(db_url)}: the gradebook's autograder tables are version "
                    f"{max(found)}, written by a newer autograder than this one (version "
                    f"{SCHEMA_VERSION}): upgrade the autograder package"
                )
            elif max(found) < SCHEMA_VERSION:
                conn.execute(delete(schema_table))
                conn.execute(schema_table.insert().values(version=SCHEMA_VERSION))
        _checked.add(db_url)
    return engine


_checked: set[str] = set()


def schema_version(db_url: str) -> int:
    with _opened(db_url).connect() as conn:
        return int(conn.execute(select(schema_table.c.version)).scalar_one())


def save(
    db_url: str,
    assignment_id: str,
    result: StudentResult,
    digest: str = "",
    tests: Iterable[TestResult] = (),
) -> None:
    """Record a submission's result and its per-test rows in one transaction, replacing
    what an earlier grading recorded: rows of the old result next to the new one would
    contradict it. Without `tests` (nothing ran: ungradable, or the grader failed) the
    submission is left with no per-test rows."""
    engine = _opened(db_url)
    with engine.begin() as conn:
        conn.execute(
            delete(results_table).where(
                results_table.c.assignment == assignment_id,
                results_table.c.student == result.student,
            )
        )
        conn.execute(
            delete(tests_table).where(
                tests_table.c.assignment == assignment_id,
                tests_table.c.student == result.student,
            )
        )
        rows = [
            {
                "assignment": assignment_id,
                "student": result.student,
                "notebook": t.notebook,
                "grade_id": t.grade_id,
                "kind": CellKind(t.kind).value,
                "points": t.points,
                "max_points": t.max_points,
                "status": TestStatus(t.status).value,
                "message": t.message,
            }
            for t in tests
        ]
        if rows:
            conn.execute(tests_table.insert(), rows)
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


def _rows(db_url: str, assignment_id: str) -> list[Row[Any]]:
    engine = _opened(db_url)
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(results_table).where(results_table.c.assignment == assignment_id)
            ).all()
        )


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


def load_tests(db_url: str, assignment_id: str) -> dict[str, list[TestResult]]:
    """student -> their per-test rows, by notebook and grade id. A student graded before
    these rows existed (an older gradebook), or with nothing run, has none: readers show
    no per-test detail for them rather than guess it."""
    engine = _opened(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(tests_table)
            .where(tests_table.c.assignment == assignment_id)
            .order_by(tests_table.c.student, tests_table.c.notebook, tests_table.c.grade_id)
        ).all()
    found: dict[str, list[TestResult]] = {}
    for r in rows:
        found.setdefault(r.student, []).append(
            TestResult(
                notebook=r.notebook,
                grade_id=r.grade_id,
                kind=CellKind(r.kind),
                points=r.points,
                max_points=r.max_points,
                status=TestStatus(r.status),
                message=r.message,
            )
        )
    return found


def load_digests(db_url: str, assignment_id: str) -> dict[str, str]:
    """student -> digest of the inputs their recorded result was computed from."""
    return {r.student: r.digest for r in _rows(db_url, assignment_id) if r.digest}


def record_zero(db_url: str, course_id: str, assignment_id: str, student: str) -> None:
    """Give every graded cell of a submission zero, as nbgrader does for a missing notebook."""
    with db.gradebook(db_url, course_id) as gb:
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
    with db.gradebook(db_url, course_id) as gb:
        try:
            submission = gb.find_submission(assignment_id, student)
        except MissingEntry:
            return 0.0, 0.0, 0.0
        penalty = float(submission.late_submission_penalty or 0.0)
        return float(submission.score) - penalty, float(submission.max_score), penalty


def record_release(db_url: str, assignment_id: str, source_digest: str) -> None:
    """The release of `assignment_id` now in release/ was made from this source."""
    with _opened(db_url).begin() as conn:
        conn.execute(delete(releases_table).where(releases_table.c.assignment == assignment_id))
        conn.execute(
            releases_table.insert().values(
                assignment=assignment_id,
                source_digest=source_digest,
                released_at=dt.datetime.now(dt.timezone.utc),
            )
        )


def release_digest(db_url: str, assignment_id: str) -> str | None:
    """The source digest the assignment's release was made from (None: never released)."""
    with _opened(db_url).connect() as conn:
        return conn.execute(
            select(releases_table.c.source_digest).where(
                releases_table.c.assignment == assignment_id
            )
        ).scalar_one_or_none()
