"""A submission that changed the nbgrader metadata of its graded cells is graded against
the teacher's copy and reported as tampering, never left as an error for a person."""

from __future__ import annotations

import pytest
from nbgrader.api import Gradebook

from autograder.grading import store
from tests.conftest import invoker
from tests.factory import answered, make_repo, save, source_notebook

pytestmark = pytest.mark.sandbox

WRONG_MUL = 'def mul(a, b):\n    """Return a * b."""\n    return a + b'


def flipped(replacements: dict[str, str]):
    """test_mul turned into an editable answer cell, and emptied."""
    notebook = answered(source_notebook(), replacements)
    test = next(c for c in notebook.cells if c.metadata["nbgrader"]["grade_id"] == "test_mul")
    test.metadata["nbgrader"].update(grade=False, solution=True, locked=False)
    test.metadata["nbgrader"].pop("points", None)
    test.source = "pass"
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_repo(tmp_path_factory.mktemp("flipped") / "repo")
    folder = root.parent / "class"
    save(flipped({}), folder / "right.ipynb")
    save(flipped({"mul": WRONG_MUL}), folder / "wrong.ipynb")
    result = invoker(root)("grade", "demo", "a1", str(folder))
    db_url = f"sqlite:///{root / 'assignments/demo/gradebook.db'}"
    return {"result": result, "db": db_url, "records": store.load(db_url, "a1")}


@pytest.mark.parametrize(("student", "expected"), [("right", 5), ("wrong", 2)])
def test_the_real_answers_are_graded_with_the_teachers_tests(
    graded: dict, student: str, expected: float
) -> None:
    assert graded["result"].exit_code == 0, graded["result"].output
    with Gradebook(graded["db"], "demo") as gb:
        assert gb.find_submission("a1", student).score == expected


@pytest.mark.parametrize("student", ["right", "wrong"])
def test_changed_metadata_is_reported_as_tampering(graded: dict, student: str) -> None:
    record = graded["records"][student]
    assert record.status == store.TAMPER
    text = "\n".join(record.messages)
    assert "the nbgrader metadata of test cell 'test_mul' was changed" in text
    assert "solution: False became True" in text
