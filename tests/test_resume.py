"""Resumable and idempotent grading: kill a run at any moment, start it again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factory import answered, make_repo, save, source_notebook

pytestmark = pytest.mark.sandbox

EXE = Path(sys.executable).with_name("autograder")
SLOW_ADD = 'import time\ntime.sleep(1.5)\ndef add(a, b):\n    """Return a + b."""\n    return a + b'
STUDENTS = [f"s{i:02d}" for i in range(8)]


def recorded(root: Path) -> dict[str, str]:
    db = root / "assignments/demo/gradebook.db"
    if not db.exists():
        return {}
    with sqlite3.connect(db, timeout=30) as conn:
        try:
            rows = conn.execute("select student, graded_at from autograder_results").fetchall()
        except sqlite3.OperationalError:
            return {}
    return dict(rows)


def grade(root: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [EXE, "--root", str(root), "grade", "demo", "a1", str(root.parent / "class"), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "250"},
    )


@pytest.fixture(scope="module")
def resumed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_repo(tmp_path_factory.mktemp("resume") / "repo")
    for student in STUDENTS:
        save(
            answered(source_notebook(), {"add": SLOW_ADD}),
            root.parent / "class" / f"{student}.ipynb",
        )
    command = [
        EXE,
        "--root",
        str(root),
        "grade",
        "demo",
        "a1",
        str(root.parent / "class"),
        "--workers",
        "1",
    ]
    run = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while len(recorded(root)) < 2 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)  # a crash, not a polite stop
    run.wait()
    before = recorded(root)
    second = grade(root)
    return {"root": root, "before": before, "second": second, "after": recorded(root)}


def test_the_first_run_was_cut_short(resumed: dict) -> None:
    assert 2 <= len(resumed["before"]) < len(STUDENTS)


def test_the_second_run_finishes_the_job(resumed: dict) -> None:
    assert resumed["second"].returncode == 0, resumed["second"].stdout + resumed["second"].stderr
    assert sorted(resumed["after"]) == STUDENTS


def test_recorded_results_are_not_regraded(resumed: dict) -> None:
    for student, when in resumed["before"].items():
        assert resumed["after"][student] == when
    assert resumed["second"].stdout.count("unchanged since it was graded") == len(resumed["before"])


def test_no_grade_is_lost_or_duplicated(resumed: dict) -> None:
    db = resumed["root"] / "assignments/demo/gradebook.db"
    with sqlite3.connect(db) as conn:
        per_student = conn.execute(
            "select s.student_id, count(g.id), sum(g.auto_score) from submitted_assignment s "
            "join submitted_notebook n on n.assignment_id = s.id "
            "join grade g on g.notebook_id = n.id "
            "group by s.student_id"
        ).fetchall()
    assert sorted(r[0] for r in per_student) == STUDENTS
    assert all(count == 2 and total == 5 for _, count, total in per_student)


def test_force_regrades_one_student_only(resumed: dict) -> None:
    root = resumed["root"]
    before = recorded(root)
    result = grade(root, "--student", "s03", "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    after = recorded(root)
    assert after["s03"] != before["s03"]
    assert {s: t for s, t in after.items() if s != "s03"} == {
        s: t for s, t in before.items() if s != "s03"
    }
