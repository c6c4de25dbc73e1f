"""Answers and tasks graded by a person, and partial credit, from grading to the last report.

One grading run (module scope) of the demo assignment with a written answer
(`explain_add`, 2 points), a task (`task_review`, 1 point) and a partial-credit test
(`test_partial`, 2 points): `complete` hands in the teacher's solution, `partial` gets
`mul` wrong and writes its own answer, `blank` hands in the untouched release. Then a
teacher grades `complete` by hand, as formgrader does, and feedback, export and
report are written; each test checks one of them.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.api import Gradebook
from nbgrader.utils import determine_grade

from autograder.course.cells import CellKind
from autograder.grading import job as engine
from autograder.grading import store
from tests.conftest import invoker
from tests.factory import answered, make_manual_repo, manual_notebook, save

pytestmark = pytest.mark.sandbox

WRONG_MUL = 'def mul(a, b):\n    """Return a * b."""\n    return a + b'
MANUAL_SCORES = {"explain_add": 1.5, "task_review": 1.0}


def grade_by_hand(db_url: str, student: str, scores: dict[str, float]) -> None:
    """What formgrader does when a teacher enters a score (its api handler for grades)."""
    with Gradebook(db_url, "demo") as gb:
        for grade_id, score in scores.items():
            grade = gb.find_grade(grade_id, "demo", "a1", student)
            grade.manual_score = score
            grade.needs_manual_grade = False
        gb.db.commit()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_manual_repo(tmp_path_factory.mktemp("manual") / "repo")
    cli = invoker(root)
    assert cli("release", "demo", "a1").exit_code == 0
    release = nbformat.read(root / "assignments/demo/release/a1/demo.ipynb", as_version=4)
    source = manual_notebook()
    folder = root.parent / "class"
    save(source, folder / "complete.ipynb")
    save(
        answered(source, {"mul": WRONG_MUL, "explain_add": "It adds the two numbers."}),
        folder / "partial.ipynb",
    )
    save(release, folder / "blank.ipynb")
    graded = cli("grade", "demo", "a1", str(folder))
    db_url = f"sqlite:///{root / 'assignments/demo/gradebook.db'}"
    tests = store.load_tests(db_url, "a1")
    grade_by_hand(db_url, "complete", MANUAL_SCORES)
    feedback = cli("feedback", "demo", "a1")
    exported = cli("export", "demo", "--out", str(root / "out"))
    report = cli("report", "demo", "a1")
    return {
        "root": root,
        "db": db_url,
        "folder": folder,
        "grade": graded,
        "tests": tests,
        "feedback": feedback,
        "export": exported,
        "report": report,
    }


def rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        key = "Username" if "Username" in (reader.fieldnames or []) else "student_id"
        return {
            row[key] + ("/" + row["grade_id"] if "grade_id" in row else ""): row for row in reader
        }


def gradebook_score(db_url: str, student: str, grade_id: str) -> float:
    with Gradebook(db_url, "demo") as gb:
        return float(gb.find_grade(grade_id, "demo", "a1", student).score)


def test_grade_table_tells_autograded_from_waiting_for_a_person(run: dict) -> None:
    output = run["grade"].output
    assert run["grade"].exit_code == 0, output
    assert "graded by a person" in output  # the table's column
    assert "7 / 7 autograded, not final" in output  # complete: all tests pass, not final
    assert "waiting: explain_add, task_review (3 points)" in output
    assert "waiting: task_review (1 point)" in output  # blank: its empty answer scores 0
    assert "3 submissions wait for grading by a person: run `nbgrader formgrader`" in output


@pytest.mark.parametrize(("student", "expected"), [("complete", 2.0), ("partial", 1.5)])
def test_partial_credit_scores_as_stock_nbgrader(run: dict, student: str, expected: float) -> None:
    """The test cell's output is its score: nbgrader's own reading of a plain execution."""
    notebook = nbformat.read(run["folder"] / f"{student}.ipynb", as_version=4)
    env = dict(os.environ)
    NotebookClient(notebook, timeout=30, kernel_name="python3", allow_errors=True).execute()
    os.environ.clear()
    os.environ.update(env)
    cell = next(c for c in notebook.cells if c.metadata["nbgrader"]["grade_id"] == "test_partial")
    stock, _ = determine_grade(cell)
    assert stock == expected
    assert gradebook_score(run["db"], student, "test_partial") == stock


def test_export_separates_autograded_manual_and_waiting(run: dict) -> None:
    assert run["export"].exit_code == 0, run["export"].output
    grades = rows(run["root"] / "out/grades.csv")
    complete, partial, blank = grades["complete"], grades["partial"], grades["blank"]
    # complete: graded by hand, so its total is final and counts the person's scores.
    assert (complete["score"], complete["max_score"]) == ("9.5", "10")
    assert (complete["autograded_score"], complete["manual_score"]) == ("7", "2.5")
    assert complete["needs_manual_grading"] == ""
    # partial: 2 + 0 + 1.5 from the tests; its answer and the task wait: no total yet.
    assert (partial["score"], partial["autograded_score"]) == ("", "3.5")
    assert partial["needs_manual_grading"] == "explain_add task_review"
    assert (blank["score"], blank["needs_manual_grading"]) == ("", "task_review")
    questions = rows(run["root"] / "out/questions.csv")
    assert questions["complete/explain_add"]["score"] == "1.5"
    assert questions["complete/explain_add"]["graded_by"] == "person"
    assert questions["partial/explain_add"]["score"] == ""
    assert questions["partial/explain_add"]["graded_by"] == "waiting for a person"
    assert questions["blank/explain_add"]["score"] == "0"  # unanswered: nbgrader scores it 0
    assert questions["partial/test_partial"]["score"] == "1.5"
    moodle = rows(run["root"] / "out/moodle.csv")
    title = "Adding and multiplying"
    assert moodle["complete"][title] == "9.5"
    assert moodle["partial"][title] == ""  # never import a total that is not final
    assert moodle["partial"][f"Feedback: {title}"].startswith(
        "Not graded completely yet: 3.5 points from the automatic tests so far"
    )


def test_answers_tasks_and_partial_credit_are_recorded_per_test(run: dict) -> None:
    status = store.TestStatus
    found = {
        (student, r.grade_id): (r.kind, r.status, r.points)
        for student, rows in run["tests"].items()
        for r in rows
    }
    assert found[("complete", "test_partial")] == (CellKind.TEST, status.PASSED, 2.0)
    assert found[("partial", "test_partial")] == (CellKind.TEST, status.PARTIAL, 1.5)
    assert found[("partial", "test_mul")] == (CellKind.TEST, status.FAILED, 0.0)
    assert found[("partial", "explain_add")] == (CellKind.MANUAL, status.WAITING, None)
    assert found[("blank", "explain_add")] == (CellKind.MANUAL, status.UNANSWERED, 0.0)
    assert found[("blank", "task_review")] == (CellKind.TASK, status.WAITING, None)
    partial = {r.grade_id: r.message for r in run["tests"]["partial"]}
    assert partial["test_partial"] == "partial credit: 1.5 of 2 points"
    # Partial credit is no failure to act on, and an answer's judgement is the person's.
    messages = "\n".join(engine.failure_lines(run["tests"]["partial"]))
    assert "test_partial" not in messages and "explain_add" not in messages
    assert "test_mul: AssertionError" in messages


def test_questions_csv_says_why_each_cell_scored_what_it_did(run: dict) -> None:
    questions = rows(run["root"] / "out/questions.csv")
    assert questions["partial/test_partial"]["status"] == "partial"
    assert questions["partial/explain_add"]["status"] == "waiting_for_person"
    assert questions["blank/explain_add"]["status"] == "unanswered"
    # Graded by hand after grading: the recorded wait no longer explains the score.
    assert questions["complete/explain_add"]["status"] == "graded_by_person"
    assert questions["complete/test_add"]["status"] == "passed"


def test_feedback_shows_manual_scores_and_what_waits(run: dict) -> None:
    assert run["feedback"].exit_code == 0, run["feedback"].output
    folder = run["root"] / "assignments/demo/feedback"
    complete = (folder / "complete/a1/demo.html").read_text()
    assert "Score: 1.5 / 2.0" in complete  # explain_add, as the teacher graded it
    assert "Score: 9.5 / 10.0" in complete
    assert "not final" not in complete
    partial = (folder / "partial/a1/demo.html").read_text()
    assert "This score is not final." in partial
    assert partial.count("Not graded yet.") == 2  # under explain_add and task_review
    assert "partial: assignments/demo/feedback/partial/a1 (not final:" in run["feedback"].output


def test_report_shows_manual_scores_and_what_waits(run: dict) -> None:
    assert run["report"].exit_code == 0, run["report"].output
    page = (run["root"] / "assignments/demo/reports/a1/index.html").read_text()
    assert "<strong>Not final:</strong> 2 of 3 submissions" in page
    assert "<tr><td>partial</td><td>explain_add, task_review</td><td>3</td></tr>" in page
    assert "<td>complete</td><td>9.5 / 10</td>" in page  # the teacher's scores count
    assert "<td>partial</td><td>3.5 / 10 (not final" in page
    assert "<td>explain_add</td><td>2</td><td>0%</td><td>0.75</td><td>a person (1 waiting)" in page
    failing = page.split("<h2>Tests that fail most often</h2>")[1].split("<h2>")[0]
    assert "explain_add" not in failing and "task_review" not in failing


def test_an_answer_graded_by_a_person_is_no_failing_test() -> None:
    """A code answer a person grades may raise; that is for the person to judge."""

    def cell(gid: str, solution: bool) -> nbformat.NotebookNode:
        meta = {"grade": True, "solution": solution, "grade_id": gid, "points": 1}
        result = new_code_cell("1 / 0", metadata={"nbgrader": meta})
        result.outputs = [
            new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])
        ]
        return result

    notebook = new_notebook(cells=[cell("plot_answer", True), cell("test_plot", False)])
    assert engine.test_failures(notebook, 5) == ["test_plot: ZeroDivisionError: division by zero"]
