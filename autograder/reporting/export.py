"""Grades out of the gradebook as CSV files a teacher can use directly.

- `grades.csv`: one row per student and assignment (score after late penalty, status,
  the autograded and the manually graded part, and the cells still waiting for a person);
- `questions.csv`: one row per student and graded cell, with who graded it;
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

from nbgrader.api import Grade, MissingEntry

from autograder.course.config import Course
from autograder.grading import store
from autograder.grading.scores import breakdown
from autograder.nbgrader import db

STUDENT_COLUMNS = [
    "student_id",
    "assignment",
    "score",
    "max_score",
    "late_penalty",
    "status",
    "timestamp",
    "autograded_score",
    "manual_score",
    "needs_manual_grading",
]
QUESTION_COLUMNS = [
    "student_id",
    "assignment",
    "notebook",
    "grade_id",
    "score",
    "max_score",
    "graded_by",
]


def export(
    course: Course, db_url: str, out_dir: Path, assignment_ids: list[str] | None = None
) -> list[Path]:
    """Write `grades.csv` and `questions.csv`; students without a submission get a blank row."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = assignment_ids or [a.id for a in course.assignments]
    student_rows, question_rows = [], []
    with db.gradebook(db_url, course.id) as gb:
        students = sorted(s.id for s in gb.students)
        for aid in wanted:
            assignment = course.assignment(aid)
            has_manual = any(spec.manual for spec in assignment.notebooks)
            recorded = store.load(db_url, aid)
            try:
                gb.find_assignment(aid)
            except MissingEntry:
                continue
            for sid in students:
                try:
                    sub = gb.find_submission(aid, sid)
                except MissingEntry:
                    student_rows.append([sid, aid, "", "", "", "missing", "", "", "", ""])
                    continue
                penalty = float(sub.late_submission_penalty or 0.0)
                status = recorded[sid].status if sid in recorded else "graded"
                split = breakdown(sub, assignment)
                student_rows.append(
                    [
                        sid,
                        aid,
                        f"{float(sub.score) - penalty:g}" if split.complete else "",
                        f"{float(sub.max_score):g}",
                        f"{penalty:g}",
                        status,
                        sub.timestamp.isoformat() if sub.timestamp else "",
                        f"{split.autograded:g}",
                        f"{split.manual:g}" if has_manual else "",
                        " ".join(split.waiting),
                    ]
                )
                for nb in sub.notebooks:
                    for grade in sorted(nb.grades, key=lambda g: g.name):
                        question_rows.append(
                            [
                                sid,
                                aid,
                                nb.name,
                                grade.name,
                                "" if grade.needs_manual_grade else f"{float(grade.score):g}",
                                f"{float(grade.max_score):g}",
                                _graded_by(grade),
                            ]
                        )
    titles = {a.id: a.title for a in course.assignments}
    maxima = {a.id: a.max_score for a in course.assignments}
    ids = [aid for aid in wanted if any(r[1] == aid for r in student_rows)]
    by_student: dict[str, dict[str, list[str]]] = {}
    for row in student_rows:
        by_student.setdefault(row[0], {})[row[1]] = row
    moodle_columns = (
        ["Username"] + [titles[a] for a in ids] + [f"Feedback: {titles[a]}" for a in ids]
    )
    moodle_rows = []
    canvas_columns = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    canvas_columns += [titles[a] for a in ids]
    canvas_rows = [["Points Possible", "", "", "", ""] + [f"{maxima[a]:g}" for a in ids]]
    for sid in sorted(by_student):
        rows = by_student[sid]
        scores = [rows[a][2] if a in rows else "" for a in ids]
        notes = [_lms_note(rows[a]) if a in rows else "" for a in ids]
        moodle_rows.append([sid, *scores, *notes])
        canvas_rows.append([sid, "", sid, sid, "", *scores])
    paths = []
    for name, columns, rows in (
        ("grades.csv", STUDENT_COLUMNS, student_rows),
        ("questions.csv", QUESTION_COLUMNS, question_rows),
        ("moodle.csv", moodle_columns, moodle_rows),
        ("canvas.csv", canvas_columns, canvas_rows),
    ):
        path = out_dir / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(rows)
        paths.append(path)
    return paths


def _graded_by(grade: Grade) -> str:
    if grade.needs_manual_grade:
        return "waiting for a person"
    return "person" if grade.manual_score is not None else "autograder"


def _lms_note(row: list[str]) -> str:
    """The feedback an LMS shows the student beside the grade.

    A `tamper` submission was graded (its real answers earned its score); only
    `ungradable` and `error` ones were not. One with answers still waiting for a person
    has no total yet (the score cell is empty), so the note says what is known so far."""
    status = row[5]
    if status == "missing":
        return "No submission."
    if status not in (store.GRADED, store.TAMPER):
        return "Could not be graded automatically; see the feedback page."
    if row[9]:
        note = (
            f"Not graded completely yet: {row[7]} points from the automatic tests so far; "
            "your teacher still grades some answers by hand."
        )
    else:
        note = f"{row[2]} of {row[3]} points."
    if row[4] not in ("", "0"):
        note += f" Late penalty: {row[4]} points."
    if status == store.TAMPER:
        note += (
            " The notebook tried to change how it was graded; it was graded on its real answers."
        )
    return note
