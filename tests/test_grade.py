"""`autograder grade` on a class folder with the submissions teachers really get.

One grading run (module scope) of: a correct, a wrong, an empty, a broken-JSON and
a looping submission, plus a deleted and a duplicated test cell. Each test checks one
behaviour against the gradebook, the recorded messages or the command's output.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from autograder.course.cells import CellKind
from autograder.grading import job as engine
from autograder.grading import store
from tests.conftest import invoker
from tests.factory import answered, make_repo, save, score, source_notebook

pytestmark = pytest.mark.sandbox

WRONG_MUL = 'def mul(a, b):\n    """Return a * b."""\n    return a + b'
LOOPING_ADD = 'def add(a, b):\n    """Return a + b."""\n    while True:\n        pass'


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_repo(tmp_path_factory.mktemp("grade") / "repo")
    cli = invoker(root)
    assert cli("release", "demo", "a1").exit_code == 0
    release = nbformat.read(root / "assignments/demo/release/a1/demo.ipynb", as_version=4)
    source = source_notebook()
    folder = root.parent / "class"
    save(source, folder / "correct.ipynb")
    save(answered(source, {"mul": WRONG_MUL}), folder / "wrong.ipynb")
    save(release, folder / "empty.ipynb")
    (folder / "broken.ipynb").write_text(json.dumps(source)[:300], encoding="utf-8")
    save(answered(source, {"add": LOOPING_ADD}), folder / "looping.ipynb")
    deleted = answered(source, {})
    deleted.cells = [c for c in deleted.cells if c.metadata["nbgrader"]["grade_id"] != "test_mul"]
    save(deleted, folder / "deleted.ipynb")
    duplicated = answered(source, {})
    copied = nbformat.from_dict(dict(duplicated.cells[2]))
    copied.id = "copied-cell"  # Jupyter gives a copied cell a new id
    duplicated.cells.insert(3, copied)
    save(duplicated, folder / "duplicated.ipynb")
    result = cli("grade", "demo", "a1", str(folder))
    db_url = f"sqlite:///{root / 'assignments/demo/gradebook.db'}"
    return {
        "root": root,
        "result": result,
        "db": db_url,
        "records": store.load(db_url, "a1"),
        "tests": store.load_tests(db_url, "a1"),  # before any test here grades again
    }


def messages(graded: dict, student: str) -> str:
    return "\n".join(graded["records"][student].messages)


def test_grading_run_succeeds_and_prints_summary(graded: dict) -> None:
    result = graded["result"]
    assert result.exit_code == 0, result.output
    assert "demo/a1: 7 submissions" in result.output
    assert "7 submissions: 6 graded, 1 ungradable; 0 unchanged since last graded" in result.output
    for student in ("correct", "wrong", "empty", "broken", "looping", "deleted", "duplicated"):
        assert student in result.output


@pytest.mark.parametrize(
    ("student", "expected"),
    [("correct", 5), ("wrong", 2), ("empty", 0), ("broken", 0), ("looping", 3)],
)
def test_scores_in_gradebook(graded: dict, student: str, expected: float) -> None:
    assert score(graded, student) == expected


def test_wrong_answer_reports_failing_test_message(graded: dict) -> None:
    assert "test_mul: AssertionError: mul(2, 3) should be 6" in messages(graded, "wrong")


def test_empty_release_reported_as_unanswered(graded: dict) -> None:
    text = messages(graded, "empty")
    assert "test_add: not answered yet" in text and "test_mul: not answered yet" in text


PASSED, FAILED = store.TestStatus.PASSED, store.TestStatus.FAILED
UNANSWERED, TIMEOUT = store.TestStatus.UNANSWERED, store.TestStatus.TIMEOUT


@pytest.mark.parametrize(
    ("student", "expected"),
    [
        ("correct", {"test_add": (PASSED, 2.0, ""), "test_mul": (PASSED, 3.0, "")}),
        (
            "wrong",
            {
                "test_add": (PASSED, 2.0, ""),
                "test_mul": (FAILED, 0.0, "AssertionError: mul(2, 3) should be 6"),
            },
        ),
        (
            "empty",
            {
                "test_add": (UNANSWERED, 0.0, "not answered yet (NotImplementedError)"),
                "test_mul": (UNANSWERED, 0.0, "not answered yet (NotImplementedError)"),
            },
        ),
        (
            "looping",
            {
                "test_add": (
                    TIMEOUT,
                    0.0,
                    "stopped after the time limit (5 s per cell); "
                    "look for an endless loop or a slow computation",
                ),
                "test_mul": (PASSED, 3.0, ""),
            },
        ),
    ],
)
def test_each_test_is_recorded_with_its_status(graded: dict, student: str, expected: dict) -> None:
    rows = graded["tests"][student]
    assert {r.grade_id: (r.status, r.points, r.message) for r in rows} == expected
    assert all(r.notebook == "demo" and r.kind is CellKind.TEST for r in rows)
    assert {r.grade_id: r.max_points for r in rows} == {"test_add": 2.0, "test_mul": 3.0}
    # The submission's messages about its tests are made from these rows.
    failing = [line for line in graded["records"][student].messages if ": test_" in line]
    assert failing == engine.failure_lines(rows)


def test_an_ungradable_submission_has_no_per_test_rows(graded: dict) -> None:
    assert "broken" not in graded["tests"]


def test_broken_json_is_ungradable_with_reason(graded: dict) -> None:
    record = graded["records"]["broken"]
    assert record.status == store.UNGRADABLE
    assert "broken.ipynb: not valid JSON (line 1" in messages(graded, "broken")


def test_infinite_loop_stopped_by_cell_timeout(graded: dict) -> None:
    assert "test_add: stopped after the time limit (5 s per cell)" in messages(graded, "looping")


def test_deleted_test_cell_is_restored_and_graded(graded: dict) -> None:
    assert score(graded, "deleted") == 5
    assert "test cell 'test_mul' was deleted" in messages(graded, "deleted")


def test_duplicated_test_cell_is_reported_and_graded_once(graded: dict) -> None:
    assert score(graded, "duplicated") == 5
    assert "test cell 'test_add' appears 2 times; the last copy is graded" in messages(
        graded, "duplicated"
    )


def test_student_files_are_not_modified(graded: dict) -> None:
    text = (graded["root"].parent / "class" / "broken.ipynb").read_text()
    assert len(text) == 300


def test_regrading_one_student_replaces_only_that_result(graded: dict) -> None:
    root = graded["root"]
    folder = root.parent / "class"
    save(source_notebook(), folder / "wrong.ipynb")  # the student fixed the answer
    result = invoker(root)("grade", "demo", "a1", str(folder), "--student", "wrong")
    assert result.exit_code == 0, result.output
    assert score(graded, "wrong") == 5
    assert score(graded, "empty") == 0
    assert store.load(graded["db"], "a1")["correct"].score == 5


def test_feedback_for_every_student(graded: dict) -> None:
    root = graded["root"]
    result = invoker(root)("feedback", "demo", "a1")
    assert result.exit_code == 0, result.output
    html = (root / "assignments/demo/feedback/correct/a1/demo.html").read_text()
    assert "test_add" in html
    broken = (root / "assignments/demo/feedback/broken/a1/feedback.html").read_text()
    assert "not valid JSON" in broken


def test_export_csv_per_student_and_question(graded: dict) -> None:
    root = graded["root"]
    result = invoker(root)("export", "demo", "--out", str(root / "out"))
    assert result.exit_code == 0, result.output
    rows = (root / "out/grades.csv").read_text().splitlines()
    assert rows[0] == (
        "student_id,assignment,score,max_score,late_penalty,status,timestamp,"
        "autograded_score,manual_score,needs_manual_grading"
    )
    assert any(r.startswith("correct,a1,5,5,0,graded") for r in rows)
    assert any(r.startswith("broken,a1,0,5,0,ungradable") for r in rows)
    questions = (root / "out/questions.csv").read_text().splitlines()
    assert "empty,a1,demo,test_mul,0,3,autograder,unanswered" in questions


def test_lms_exports_have_the_documented_layouts(graded: dict) -> None:
    root = graded["root"]
    assert invoker(root)("export", "demo", "--out", str(root / "lms")).exit_code == 0
    moodle = (root / "lms/moodle.csv").read_text().splitlines()
    assert moodle[0] == "Username,Adding and multiplying,Feedback: Adding and multiplying"
    assert "correct,5,5 of 5 points." in moodle
    assert any(r.startswith("broken,0,Could not be graded automatically") for r in moodle)
    canvas = (root / "lms/canvas.csv").read_text().splitlines()
    assert canvas[0] == "Student,ID,SIS User ID,SIS Login ID,Section,Adding and multiplying"
    assert canvas[1] == "Points Possible,,,,,5"
    assert "correct,,correct,correct,,5" in canvas


def test_teacher_report_shows_distribution_questions_and_problems(graded: dict) -> None:
    root = graded["root"]
    assert invoker(root)("feedback", "demo", "a1").exit_code == 0
    result = invoker(root)("report", "demo", "a1")
    assert result.exit_code == 0, result.output
    folder = root / "assignments/demo/reports/a1"
    page = (folder / "index.html").read_text()
    assert (folder / "scores.png").read_bytes()[:4] == b"\x89PNG"
    assert (folder / "questions.png").read_bytes()[:4] == b"\x89PNG"
    assert "<img src='scores.png' alt='Histogram of scores" in page
    assert "<td>test_mul</td><td>3</td>" in page  # per-question table
    assert "not answered yet (NotImplementedError) (1×)" in page  # most common failure message
    assert "<td>broken</td><td>ungradable</td>" in page  # needs a human
    assert 'href="../../feedback/correct/a1/demo.html"' in page


def test_feedback_never_shows_hidden_tests(graded: dict) -> None:
    root = graded["root"]
    assert invoker(root)("feedback", "demo", "a1", "--student", "wrong").exit_code == 0
    page = (root / "assignments/demo/feedback/wrong/a1/demo.html").read_text()
    assert "add(-4, 4)" not in page and "mul(7, 0)" not in page  # the hidden asserts
    assert "Hidden tests ran here" in page
    empty = root / "assignments/demo/feedback/empty/a1/demo.html"
    assert invoker(root)("feedback", "demo", "a1", "--student", "empty").exit_code == 0
    assert "NotImplementedError" in empty.read_text()
