"""What a kernel sends the grader is bounded before it is decoded (issue 14).

One 300 MB output message cost the grading host 1-3 GiB, and a forged 6 MB guard
answer 3 GiB (ast.literal_eval). Now a message over the output budget is refused
unread by zmq, and the cell says so; the guard's answer is bounded JSON. One grading
run (module scope), with a 64 KB output budget so that 2 MB stands for 300 MB. Needs
the sandbox (bubblewrap, root).
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.grading import store
from autograder.runtime.guard import MALFORMED
from autograder.runtime.sandbox import unavailable_reason
from tests.conftest import invoker
from tests.factory import (
    answered,
    course_config,
    make_repo,
    save,
    score,
    source_notebook,
    write_config,
)

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        unavailable_reason() is not None and not __import__("os").environ.get("CI"),
        reason=f"sandbox unavailable: {unavailable_reason()}",
    ),
]

HUGE = 2_000_000  # characters; the budget is 64 KB


def forge_guard(answer: str) -> str:
    """A cell that replaces the grader's guard with one answering `answer` (an expression
    for its repr)."""
    return (
        "import builtins\n"
        "class Forged:\n"
        f"    def __repr__(self):\n        return {answer}\n"
        "for name in dir(builtins):\n"
        "    if name.startswith('_autograder_guard_'):\n"
        "        setattr(builtins, name, lambda: Forged())"
    )


SUBMISSIONS = {
    # name: (answers, extra cell after the first answer, expected score out of 5)
    "right": ({}, None, 5),
    "huge_print": ({}, f"print('x' * {HUGE})", 5),
    "huge_error": (
        {"add": f"def add(a, b):\n    raise ValueError('x' * {HUGE})"},
        None,
        3,
    ),
    "huge_guard_answer": ({}, forge_guard(f"'[' + '0,' * {HUGE // 2} + '0]'"), 5),
    "malformed_guard_answer": ({}, forge_guard("'[\"math.isclose\"'"), 5),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_repo(tmp_path_factory.mktemp("sizes") / "repo")
    config = course_config()
    config["assignments"][0]["limits"] = {
        "cell_timeout": 20,
        "notebook_timeout": 120,
        "max_output_kb": 64,
    }
    write_config(root, config)
    folder = root.parent / "class"
    for name, (answers, extra, _) in SUBMISSIONS.items():
        notebook = answered(source_notebook(), answers)
        if extra is not None:
            notebook.cells.insert(2, new_code_cell(extra))
        save(notebook, folder / name / "demo.ipynb")
    result = invoker(root)("grade", "demo", "a1", str(folder), "--workers", "2")
    db = f"sqlite:///{root / 'assignments/demo/gradebook.db'}"
    return {"root": root, "result": result, "db": db, "records": store.load(db, "a1")}


def graded(run: dict, student: str) -> nbformat.NotebookNode:
    path = run["root"] / f"assignments/demo/autograded/{student}/a1/demo.ipynb"
    return nbformat.read(path, as_version=4)


def test_grading_run_completes(run: dict) -> None:
    assert run["result"].exit_code == 0, run["result"].output


@pytest.mark.parametrize("student", sorted(SUBMISSIONS))
def test_the_other_cells_are_graded(run: dict, student: str) -> None:
    assert score(run, student) == SUBMISSIONS[student][2]


def test_a_huge_output_message_is_dropped_with_a_note(run: dict) -> None:
    cell = graded(run, "huge_print").cells[2]
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert "[output cut by the grader: output too large" in text
    assert "x" * 1000 not in text
    assert run["records"]["huge_print"].status == store.GRADED


def test_a_huge_error_fails_its_test_with_a_bounded_message(run: dict) -> None:
    """The student's exception crosses to the tests' kernel as text, its message cut to
    handles.MAX_MESSAGE_CHARS: the test fails, and says why in a few KB at most."""
    messages = [m for m in run["records"]["huge_error"].messages if "test_add" in m]
    assert len(messages) == 1 and "ValueError" in messages[0], messages
    assert len(messages[0]) < 5000
    assert run["records"]["huge_error"].status == store.GRADED


@pytest.mark.parametrize("student", ["huge_guard_answer", "malformed_guard_answer"])
def test_a_forged_guard_answer_is_tampering(run: dict, student: str) -> None:
    record = run["records"][student]
    assert record.status == store.TAMPER
    assert any(MALFORMED in m for m in record.messages)


def test_an_honest_submission_is_not_flagged(run: dict) -> None:
    assert run["records"]["right"].status == store.GRADED
    assert run["records"]["right"].messages == []
