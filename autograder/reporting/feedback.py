"""Per-student HTML feedback: nbgrader's report for graded work, a plain page for the rest.

Feedback shows each test's result, points and message, never the source of hidden
tests (a complaint about nbgrader for years): `HideHiddenTests` runs in nbgrader's
feedback pipeline, blanks the hidden region of every test cell and shortens error
tracebacks to their last line, since a traceback quotes the failing hidden assert.

Answers and tasks a person grades count as zero in nbgrader's page until someone
grades them in formgrader; `NoteManualGrading` says so on the page, at the top and
under each such cell, so a student never reads a partial score as final. Scores a
person entered are shown as nbgrader shows any score (GetGrades reads them).
"""

from __future__ import annotations

import html
from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.course.cells import scored_by_running
from autograder.course.config import Assignment, Course
from autograder.course.notebooks import HIDDEN_MARKERS, nbgrader_meta
from autograder.grading import store
from autograder.nbgrader.settings import NBGRADER_LOCK, make_api, nbgrader_problem

HIDDEN_PLACEHOLDER = "# Hidden tests ran here; their code is not shown."


def hide_hidden_source(source: str) -> str:
    lines, hidden = [], False
    for line in source.splitlines():
        if line.strip().startswith(HIDDEN_MARKERS[0]):
            hidden = True
            lines.append(HIDDEN_PLACEHOLDER)
        elif line.strip().startswith(HIDDEN_MARKERS[1]):
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


class HideHiddenTests(NbGraderPreprocessor):
    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if scored_by_running(cell):
            cell.source = hide_hidden_source(cell.source)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
                    output["traceback"] = [message.rstrip(": ")]
        return cell, resources


class NoteManualGrading(NbGraderPreprocessor):
    """Mark what a person has yet to grade: a note at the top, one under each such cell."""

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_submission_notebook(
                info["notebook"], info["assignment"], info["student"]
            )
            waiting = {g.name: float(g.max_score) for g in notebook.grades if g.needs_manual_grade}
        if not waiting:
            return nb, resources
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            points = waiting.get(nbgrader_meta(cell).get("grade_id"))
            if points is not None:
                cells.append(
                    new_markdown_cell(
                        f"**Not graded yet.** Your teacher grades this by hand ({points:g} "
                        "points); until then it counts as 0 in the score above."
                    )
                )
        total = sum(waiting.values())
        top = (
            f"**This score is not final.** {len(waiting)} of your answers or tasks "
            f"({total:g} points) are still to be graded by your teacher; they count as 0 "
            "until then. You will get this page again once they are graded."
        )
        nb.cells = [new_markdown_cell(top), *cells]
        return nb, resources


def _explanation_page(course: Course, assignment: Assignment, result: store.StudentResult) -> str:
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
    recorded = store.load(db_url, assignment.id)
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
