"""Grades out of the gradebook as CSV files a teacher can use directly.

- `grades.csv`: one row per student and assignment (score after late penalty, status,
  the autograded and the manually graded part, and the cells still waiting for a person);
- `questions.csv`: one row per student and graded cell, with who graded it and, last,
  why it earned what it did (`status`: a `store.TestStatus` value such as `failed` or
  `timeout` as recorded at grading, `graded_by_person` once a person entered its
  score, empty for a gradebook from before these were recorded);
- `moodle.csv`: Moodle's grade import ("Import grades from CSV"): `Username`, then one
  column per assignment (its title) and one `Feedback: <title>` column; map `Username`
  to your users' username and each title to its grade item when importing;
- `canvas.csv`: Canvas's gradebook import: `Student`, `ID`, `SIS User ID`,
  `SIS Login ID`, `Section`, then one column per assignment (its title), with a
  `Points Possible` row first. Our student id goes in `SIS User ID` and `SIS Login ID`.

Students without a submission get an empty cell in the LMS files (not zero), so an
import never overwrites a grade entered by hand. So do students whose written answers
or tasks still wait for a person (formgrader): their total is not final, so `score` is
empty there and in `grades.csv`, `needs_manual_grading` names the cells, and the LMS
note says what was autograded so far.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

from nbgrader.api import Grade, MissingEntry

from autograder.course.config import Course
from autograder.grading import store
from autograder.grading.scores import breakdown
from autograder.nbgrader import db


class GradeRow(NamedTuple):
    """One line of `grades.csv`, its fields in the file's column order (LMS imports and
    teachers' spreadsheets depend on that order: add fields only at the end)."""

    student_id: str
    assignment: str
    score: str
    """After the late penalty; empty until the total is final."""
    max_score: str
    late_penalty: str
    status: str
    """The submission's status (store.GRADED, ...), or MISSING."""
    timestamp: str
    autograded_score: str
    manual_score: str
    needs_manual_grading: str
    """Grade ids still waiting for a person, space-separated."""


class QuestionRow(NamedTuple):
    """One line of `questions.csv`, in the file's column order (add fields only at the end)."""

    student_id: str
    assignment: str
    notebook: str
    grade_id: str
    score: str
    max_score: str
    graded_by: str
    status: str
    """store.TestStatus's value as recorded at grading, or GRADED_BY_PERSON once a
    person's score replaced it; empty when nothing was recorded per test (an older
    gradebook, or a submission that could not be graded)."""


STUDENT_COLUMNS = list(GradeRow._fields)
QUESTION_COLUMNS = list(QuestionRow._fields)
MISSING = "missing"
GRADED_BY_PERSON = "graded_by_person"


def export(
    course: Course, db_url: str, out_dir: Path, assignment_ids: list[str] | None = None
) -> list[Path]:
    """Write `grades.csv` and `questions.csv`; students without a submission get a blank row."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = assignment_ids or [a.id for a in course.assignments]
    student_rows: list[GradeRow] = []
    question_rows: list[QuestionRow] = []
    with db.gradebook(db_url, course.id) as gb:
        students = sorted(s.id for s in gb.students)
        for aid in wanted:
            assignment = course.assignment(aid)
            has_manual = any(spec.manual for spec in assignment.notebooks)
            recorded = store.load(db_url, aid)
            tests = store.load_tests(db_url, aid)
            try:
                gb.find_assignment(aid)
            except MissingEntry:
                continue
            for sid in students:
                try:
                    sub = gb.find_submission(aid, sid)
                except MissingEntry:
                    student_rows.append(GradeRow(sid, aid, "", "", "", MISSING, "", "", "", ""))
                    continue
                penalty = float(sub.late_submission_penalty or 0.0)
                status = recorded[sid].status if sid in recorded else store.GRADED
                split = breakdown(sub, assignment)
                student_rows.append(
                    GradeRow(
                        student_id=sid,
                        assignment=aid,
                        score=f"{float(sub.score) - penalty:g}" if split.complete else "",
                        max_score=f"{float(sub.max_score):g}",
                        late_penalty=f"{penalty:g}",
                        status=status,
                        timestamp=sub.timestamp.isoformat() if sub.timestamp else "",
                        autograded_score=f"{split.autograded:g}",
                        manual_score=f"{split.manual:g}" if has_manual else "",
                        needs_manual_grading=" ".join(split.waiting),
                    )
                )
                per_test = {(t.notebook, t.grade_id): t for t in tests.get(sid, [])}
                for nb in sub.notebooks:
                    for grade in sorted(nb.grades, key=lambda g: g.name):
                        question_rows.append(
                            QuestionRow(
                                student_id=sid,
                                assignment=aid,
                                notebook=nb.name,
                                grade_id=grade.name,
                                score="" if grade.needs_manual_grade else f"{float(grade.score):g}",
                                max_score=f"{float(grade.max_score):g}",
                                graded_by=_graded_by(grade),
                                status=_test_status(per_test.get((nb.name, grade.name)), grade),
                            )
                        )
    titles = {a.id: a.title for a in course.assignments}
    maxima = {a.id: a.max_score for a in course.assignments}
    ids = [aid for aid in wanted if any(r.assignment == aid for r in student_rows)]
    by_student: dict[str, dict[str, GradeRow]] = {}
    for row in student_rows:
        by_student.setdefault(row.student_id, {})[row.assignment] = row
    moodle_columns = (
        ["Username"] + [titles[a] for a in ids] + [f"Feedback: {titles[a]}" for a in ids]
    )
    moodle_rows = []
    canvas_columns = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    canvas_columns += [titles[a] for a in ids]
    canvas_rows = [["Points Possible", "", "", "", ""] + [f"{maxima[a]:g}" for a in ids]]
    for sid in sorted(by_student):
        rows = by_student[sid]
        scores = [rows[a].score if a in rows else "" for a in ids]
        notes = [_lms_note(rows[a]) if a in rows else "" for a in ids]
        moodle_rows.append([sid, *scores, *notes])
        canvas_rows.append([sid, "", sid, sid, "", *scores])
    paths = []
    tables: list[tuple[str, list[str], list[GradeRow] | list[QuestionRow] | list[list[str]]]] = [
        ("grades.csv", STUDENT_COLUMNS, student_rows),
        ("questions.csv", QUESTION_COLUMNS, question_rows),
        ("moodle.csv", moodle_columns, moodle_rows),
        ("canvas.csv", canvas_columns, canvas_rows),
    ]
    for name, columns, table in tables:
        path = out_dir / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(table)
        paths.append(path)
    return paths


def _test_status(test: store.TestResult | None, grade: Grade) -> str:
    """What the row of `questions.csv` says about why: the status recorded at grading,
    unless a person has since entered a score in formgrader, which replaces the
    autograder's (and ends a wait), so the recorded status no longer explains it."""
    if grade.manual_score is not None and not grade.needs_manual_grade:
        return GRADED_BY_PERSON
    return test.status.value if test is not None else ""


def _graded_by(grade: Grade) -> str:
    if grade.needs_manual_grade:
        return "waiting for a person"
    return "person" if grade.manual_score is not None else "autograder"


def _lms_note(row: GradeRow) -> str:
    """The feedback an LMS shows the student beside the grade.

    A `tamper` submission was graded (its real answers earned its score); only
    `ungradable` and `error` ones were not. One with answers still waiting for a person
    has no total yet (the score cell is empty), so the note says what is known so far."""
    if row.status == MISSING:
        return "No submission."
    if row.status not in (store.GRADED, store.TAMPER):
        return "Could not be graded automatically; see the feedback page."
    if row.needs_manual_grading:
        note = (
            f"Not graded completely yet: {row.autograded_score} points from the automatic "
            "tests so far; your teacher still grades some answers by hand."
        )
    else:
        note = f"{row.score} of {row.max_score} points."
    if row.late_penalty not in ("", "0"):
        note += f" Late penalty: {row.late_penalty} points."
    if row.status == store.TAMPER:
        note += (
            " The notebook tried to change how it was graded; it was graded on its real answers."
        )
    return note
