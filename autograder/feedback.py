"""Per-student HTML feedback: nbgrader's report for graded work, a plain page for the rest."""

from __future__ import annotations

import html
from pathlib import Path

from autograder.config import Assignment, Course
from autograder.grading import results
from autograder.nbgrader_setup import NBGRADER_LOCK, make_api, nbgrader_problem


def _explanation_page(course: Course, assignment: Assignment, result: results.StudentResult) -> str:
    items = "".join(f"<li>{html.escape(m)}</li>" for m in result.messages) or "<li>No details.</li>"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(assignment.title)}: feedback</title></head><body>"
        f"<h1>{html.escape(course.title.en)}: {html.escape(assignment.title)}</h1>"
        f"<p>Student: {html.escape(result.student)}. "
        f"Score: {result.score:g} / {result.max_score:g}.</p>"
        "<p>Your submission could not be graded automatically:</p>"
        f"<ul>{items}</ul>"
        "<p>Please contact your teacher; your other work is not affected.</p></body></html>"
    )


def generate(
    course: Course,
    assignment: Assignment,
    course_root: Path,
    db_url: str,
    student: str | None = None,
) -> dict[str, Path | str]:
    """student -> feedback folder, or the reason feedback could not be written."""
    recorded = results.load(db_url, assignment.id)
    students = [student] if student else sorted(recorded)
    api = make_api(course, course_root, db_url, assignment)
    out: dict[str, Path | str] = {}
    for sid in students:
        folder = course_root / "feedback" / sid / assignment.id
        result = recorded.get(sid)
        autograded = course_root / "autograded" / sid / assignment.id
        if result is not None and not autograded.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "feedback.html").write_text(
                _explanation_page(course, assignment, result), encoding="utf-8"
            )
            out[sid] = folder
            continue
        with NBGRADER_LOCK:
            outcome = api.generate_feedback(assignment.id, sid, force=True)
        if outcome.get("success"):
            out[sid] = folder
        else:
            out[sid] = f"feedback failed: {nbgrader_problem(outcome)}"
    return out
