"""Per-student HTML feedback: nbgrader's report for graded work, a plain page for the rest.

Feedback shows each test's result, points and message, never the source of hidden
tests (a complaint about nbgrader for years): `RedactFeedback` runs in nbgrader's
feedback pipeline (see its docstring for what it keeps and what it withholds).

Answers and tasks a person grades count as zero in nbgrader's page until someone
grades them in formgrader; `NoteManualGrading` says so on the page, at the top and
under each such cell, so a student never reads a partial score as final. Scores a
person entered are shown as nbgrader shows any score (GetGrades reads them).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.course.cells import CellKind, kind_of
from autograder.course.config import Assignment, Course
from autograder.course.notebooks import HIDDEN_MARKERS, nbgrader_meta
from autograder.grading import store
from autograder.nbgrader.settings import NBGRADER_LOCK, make_api, nbgrader_problem

HIDDEN_PLACEHOLDER = "# Hidden tests ran here; their code is not shown."


def _marked(source: str) -> Iterator[tuple[str, str]]:
    """Each line of a test cell's source with where it stands: "begin" or "end" (a hidden
    tests marker), "hidden" (between them) or "shown"."""
    hidden = False
    for line in source.splitlines():
        if line.strip().startswith(HIDDEN_MARKERS[0]):
            hidden = True
            yield line, "begin"
        elif line.strip().startswith(HIDDEN_MARKERS[1]):
            hidden = False
            yield line, "end"
        else:
            yield line, "hidden" if hidden else "shown"


def hide_hidden_source(source: str) -> str:
    return "\n".join(
        HIDDEN_PLACEHOLDER if where == "begin" else line
        for line, where in _marked(source)
        if where in ("begin", "shown")
    )


WITHHELD = (
    "[output withheld: it contains a line of a hidden test. Hidden tests are not shown; "
    "your teacher can see the whole output.]"
)
MIN_HIDDEN_LINE = 8
"""Letters and digits a hidden line needs to be looked for: shorter ones (`pass`,
`x = f(a)`) say nothing of a test and would withhold innocent output."""


def canonical(text: str) -> str:
    """Letters and digits only, after undoing HTML entities and backslash escapes: a hidden
    line printed in a list's repr, a JSON string or an HTML table is still found."""
    text = html.unescape(text)
    text = re.sub(r"\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", " ", text)
    return re.sub(r"[^0-9A-Za-z]+", "", text)


def hidden_lines(nb: NotebookNode) -> set[str]:
    """Every line of the hidden tests in the graded notebook (the teacher's cells), in
    canonical form."""
    found: set[str] = set()
    for cell in nb.cells:
        if kind_of(cell) is CellKind.TEST:
            for line, where in _marked(cell.source):
                if where == "hidden" and len(canonical(line)) >= MIN_HIDDEN_LINE:
                    found.add(canonical(line))
    return found


def _text_of(output: NotebookNode) -> str:
    """Everything an output would put on the page, as text (images are data, not text)."""
    parts = [str(output.get(key, "")) for key in ("text", "ename", "evalue")]
    parts += [str(line) for line in output.get("traceback", [])]
    for kind, value in (output.get("data") or {}).items():
        if not kind.startswith("image/") or kind == "image/svg+xml":
            parts.append(value if isinstance(value, str) else "\n".join(map(str, value)))
    return "\n".join(parts)


def _withheld() -> NotebookNode:
    return NotebookNode(output_type="stream", name="stderr", text=WITHHELD + "\n")


def _test_outputs(outputs: list[NotebookNode]) -> list[NotebookNode]:
    """What a test cell shows: its error as one line (the assertion's message), nothing else.
    A traceback quotes the failing hidden assert, and whatever the student's code printed
    while a test ran is not the student's own cell's output."""
    shown = []
    for output in outputs:
        if output.get("output_type") == "error":
            message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
            shown.append(
                NotebookNode(
                    output_type="error",
                    ename=output.get("ename", "Error"),
                    evalue=output.get("evalue", ""),
                    traceback=[message],
                )
            )
    return shown


class RedactFeedback(NbGraderPreprocessor):
    """What the feedback page may show: the student's own cells and their outputs, and per
    test its result, points and the assertion's message; never a hidden test.

    - Test cells: the hidden region of the source is blanked; of the outputs only the
      error remains, as one line.
    - Teacher's read-only cells keep their outputs only before the first test cell: what
      ran after that ran in a kernel the tests had already run in.
    - The student's own cells (answers, and cells the student added) keep their outputs.
    - Any output left that contains a line of a hidden test is replaced by a note: student
      code can read the hidden tests' source (`In`, linecache, audit hooks, IPython's
      callbacks) once they have run in its kernel.
    """

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        secret = hidden_lines(nb)
        tests_started = False
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            kind = kind_of(cell)
            if kind is CellKind.TEST:
                tests_started = True
                cell.source = hide_hidden_source(cell.source)
                cell.outputs = _test_outputs(cell.get("outputs", []))
            elif tests_started and (kind is CellKind.READ_ONLY or kind is CellKind.TASK):
                cell.outputs = []
            cell.outputs = [
                _withheld() if any(line in canonical(_text_of(o)) for line in secret) else o
                for o in cell.get("outputs", [])
            ]
        return nb, resources


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
