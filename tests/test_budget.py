"""The notebook's time budget is a hard wall (issue 14).

40 cells that sleep 7.5 s each, with a 20 s budget, used to take 57 s: each cell past
the budget still got a second, and a cell that ignores interrupts ran on. Now the kernel
is killed at the wall and no further cell starts. Each grading run here is of one
submission with a 3 s budget; its whole run (the CLI: release, pool, grading) is
timed. Needs the sandbox (bubblewrap, root).
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook

from autograder.grading import store
from autograder.runtime.sandbox import unavailable_reason
from tests.conftest import invoker
from tests.factory import KERNELSPEC, _meta, course_config, make_repo, save, write_config

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        unavailable_reason() is not None and not __import__("os").environ.get("CI"),
        reason=f"sandbox unavailable: {unavailable_reason()}",
    ),
]

BUDGET = 3
# A run's own cost beside the notebook (release, worker pool, kernel, nbgrader's steps),
# counted generously for a loaded 2-core machine. Without the wall, the sleepy run
# takes 40 s more.
MARGIN = 15
SLEEPY = ["time.sleep(2)"] * 40
STUBBORN = [
    "while True:\n    try:\n        time.sleep(10)\n    except KeyboardInterrupt:\n        pass"
]


def source() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Waiting", metadata=_meta("intro", locked=True)),
        new_code_cell("import time", metadata=_meta("setup", locked=True)),
        new_code_cell(
            "time.sleep(0.2)", metadata=_meta("before", grade=True, locked=True, points=1)
        ),
        new_code_cell("assert True", metadata=_meta("after", grade=True, locked=True, points=2)),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def grade(tmp_path: Path, extra: list[str]) -> dict:
    """Grade one submission whose `extra` cells come between the two tests."""
    root = make_repo(tmp_path / "repo", notebook=source())
    config = course_config()
    config["assignments"][0]["notebooks"] = [
        {"file": "demo.ipynb", "points": {"before": 1, "after": 2}}
    ]
    config["assignments"][0]["limits"] = {"cell_timeout": BUDGET, "notebook_timeout": BUDGET}
    write_config(root, config)
    notebook = source()
    notebook.cells[3:3] = [new_code_cell(code) for code in extra]
    save(notebook, root.parent / "class" / "student" / "demo.ipynb")
    started = time.monotonic()
    result = invoker(root)("grade", "demo", "a1", str(root.parent / "class"), "--workers", "1")
    seconds = time.monotonic() - started
    assert result.exit_code == 0, result.output
    db = f"sqlite:///{root / 'assignments/demo/gradebook.db'}"
    with Gradebook(db, "demo") as gb:
        score = gb.find_submission("a1", "student").score
    graded = nbformat.read(root / "assignments/demo/autograded/student/a1/demo.ipynb", 4)
    record = store.load(db, "a1")["student"]
    return {"seconds": seconds, "score": score, "record": record, "notebook": graded}


@pytest.fixture(scope="module")
def sleepy(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return grade(tmp_path_factory.mktemp("sleepy"), SLEEPY)


@pytest.fixture(scope="module")
def stubborn(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return grade(tmp_path_factory.mktemp("stubborn"), STUBBORN)


def errors(run: dict) -> list[str]:
    """Each code cell's first error, as "ename: evalue" ("" for none)."""
    found = []
    for cell in run["notebook"].cells[1:]:
        error = next((o for o in cell.get("outputs", []) if o.output_type == "error"), None)
        found.append(f"{error.ename}: {error.evalue}" if error else "")
    return found


@pytest.mark.parametrize("name", ["sleepy", "stubborn"])
def test_grading_ends_at_the_wall(name: str, request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(name)
    assert run["seconds"] < BUDGET + MARGIN


def test_cells_after_the_wall_are_not_run(sleepy: dict) -> None:
    found = errors(sleepy)
    # setup, the test before, two sleeps within the budget (0.2 + 2 + 0.8 s): the second
    # is stopped at the wall; the other 38 and the test after it do not run.
    assert found[:3] == ["", "", ""]
    assert found[3] == "NotebookTimeout: notebook time budget exceeded (3 s): this cell was stopped"
    not_run = "NotebookTimeout: notebook time budget exceeded (3 s): this cell did not run"
    assert found[4:] == [not_run] * 39


def test_a_test_after_the_wall_fails_with_the_reason(sleepy: dict) -> None:
    assert sleepy["score"] == 1
    assert sleepy["record"].status == store.GRADED
    assert (
        "demo.ipynb: after: NotebookTimeout: notebook time budget exceeded (3 s): "
        "this cell did not run"
    ) in sleepy["record"].messages


def test_a_cell_that_ignores_interrupts_is_stopped_at_the_wall(stubborn: dict) -> None:
    assert errors(stubborn)[2:] == [
        "NotebookTimeout: notebook time budget exceeded (3 s): this cell was stopped",
        "NotebookTimeout: notebook time budget exceeded (3 s): this cell did not run",
    ]
    assert stubborn["score"] == 1
    assert stubborn["record"].status == store.GRADED
    assert not any("stopped its kernel" in m for m in stubborn["record"].messages)
