"""Grades out of the gradebook as CSV: one row per student, and one per student and question."""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder.config import Course
from autograder.grading import results

STUDENT_COLUMNS = [
    "student_id",
    "assignment",
    "score",
    "max_score",
    "late_penalty",
    "status",
    "timestamp",
]
QUESTION_COLUMNS = ["student_id", "assignment", "notebook", "grade_id", "score", "max_score"]


def export(
    course: Course, db_url: str, out_dir: Path, assignment_ids: list[str] | None = None
) -> list[Path]:
    """Write `grades.csv` and `questions.csv`; students without a submission get a blank row."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = assignment_ids or [a.id for a in course.assignments]
    student_rows, question_rows = [], []
    with Gradebook(db_url, course.id) as gb:
        students = sorted(s.id for s in gb.students)
        for aid in wanted:
            recorded = results.load(db_url, aid)
            try:
                gb.find_assignment(aid)
            except MissingEntry:
                continue
            for sid in students:
                try:
                    sub = gb.find_submission(aid, sid)
                except MissingEntry:
                    student_rows.append([sid, aid, "", "", "", "missing", ""])
                    continue
                penalty = float(sub.late_submission_penalty or 0.0)
                status = recorded[sid].status if sid in recorded else "graded"
                student_rows.append(
                    [
                        sid,
                        aid,
                        f"{float(sub.score) - penalty:g}",
                        f"{float(sub.max_score):g}",
                        f"{penalty:g}",
                        status,
                        sub.timestamp.isoformat() if sub.timestamp else "",
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
                                f"{float(grade.score):g}",
                                f"{float(grade.max_score):g}",
                            ]
                        )
    paths = []
    for name, columns, rows in (
        ("grades.csv", STUDENT_COLUMNS, student_rows),
        ("questions.csv", QUESTION_COLUMNS, question_rows),
    ):
        path = out_dir / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(rows)
        paths.append(path)
    return paths
