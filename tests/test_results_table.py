"""Per-test results in our own table: stored, replaced, read by the report and the
export, and absent (not guessed) in a gradebook from before they were recorded.

No kernel runs here: results are recorded directly, as grading records them.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from autograder.course.cells import CellKind
from autograder.grading import store
from autograder.reporting import teacher_report
from tests.conftest import Invoke

FAILED = store.TestStatus.FAILED
STOPPED = "stopped after the time limit (5 s per cell); look for an endless loop"


def _result(
    grade_id: str,
    status: store.TestStatus,
    message: str = "",
    points: float | None = 0.0,
    notebook: str = "demo",
) -> store.TestResult:
    return store.TestResult(notebook, grade_id, CellKind.TEST, points, 2.0, status, message)


def _db(repo: Path) -> str:
    return f"sqlite:///{repo / 'assignments/demo/gradebook.db'}"


def test_per_test_rows_round_trip_and_are_replaced_with_the_result(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gb.db"
    anna = [
        _result("test_add", store.TestStatus.PASSED, points=2.0),
        store.TestResult("demo", "explain", CellKind.MANUAL, None, 2.0, store.TestStatus.WAITING),
        _result("test_mul", FAILED, "AssertionError: mul(2, 3) should be 6"),
        _result("q1", store.TestStatus.TIMEOUT, STOPPED, notebook="extra"),
    ]
    ben = [_result("test_add", store.TestStatus.UNANSWERED, "not answered yet")]
    store.save(url, "a1", store.StudentResult("anna", store.GRADED), tests=anna)
    store.save(url, "a1", store.StudentResult("ben", store.GRADED), tests=ben)
    loaded = store.load_tests(url, "a1")
    by_key = sorted(anna, key=lambda t: (t.notebook, t.grade_id))
    assert loaded == {"anna": by_key, "ben": ben}
    found = {t.grade_id: t for t in loaded["anna"]}
    assert found["test_add"].status is store.TestStatus.PASSED  # the enum, not its text
    assert found["explain"].kind is CellKind.MANUAL and found["explain"].points is None
    assert store.load_tests(url, "a2") == {}

    # Graded again: the new rows replace all the old ones, the other student's stay.
    again = [_result("test_add", store.TestStatus.PASSED, points=2.0)]
    store.save(url, "a1", store.StudentResult("anna", store.GRADED), tests=again)
    assert store.load_tests(url, "a1") == {"anna": again, "ben": ben}

    # Ungradable now (recorded without tests, as record_ungradable does): no rows left.
    store.save(url, "a1", store.StudentResult("anna", store.UNGRADABLE))
    assert store.load_tests(url, "a1") == {"ben": ben}


def test_failure_messages_come_from_the_rows_not_from_message_prefixes() -> None:
    """The old parser counted every message line that began `<notebook>.ipynb: <grade
    id>: `, and counted a grade id of two notebooks as one test."""
    decoy = "demo.ipynb: test_add: looks like a test message, but is a note"
    anna = teacher_report.Submission(
        "anna",
        0.0,
        4.0,
        0.0,
        0.0,
        store.GRADED,
        messages=[decoy, "part2.ipynb: q1: AssertionError: b"],
        tests=[
            _result("test_add", store.TestStatus.PASSED, points=2.0),
            _result("q1", FAILED, "AssertionError: a", notebook="part1"),
            _result("q1", store.TestStatus.TIMEOUT, STOPPED, notebook="part2"),
        ],
    )
    ben = teacher_report.Submission(
        "ben",
        0.0,
        4.0,
        0.0,
        0.0,
        store.GRADED,
        messages=[],
        tests=[_result("q1", FAILED, "AssertionError: a", notebook="part1")],
    )
    counts = teacher_report.failure_messages([anna, ben])
    assert counts == {
        ("part1", "q1"): {"AssertionError: a": 2},
        ("part2", "q1"): {STOPPED: 1},
    }
    statuses = teacher_report.failure_statuses([anna, ben])
    assert statuses == {("part1", "q1"): {"failed": 2}, ("part2", "q1"): {"timeout": 1}}


def test_the_report_counts_failures_from_the_rows(repo: Path, cli: Invoke) -> None:
    assert cli("release", "demo", "a1").exit_code == 0
    url = _db(repo)
    store.record_zero(url, "demo", "a1", "anna")
    tests = [
        _result("test_add", FAILED, "AssertionError: add(1, 2) should be 3"),
        _result("test_mul", store.TestStatus.TIMEOUT, STOPPED),
    ]
    decoy = "demo.ipynb: test_mul: AssertionError: decoy"
    result = store.StudentResult("anna", store.GRADED, 0.0, 5.0, 0.0, [decoy])
    store.save(url, "a1", result, tests=tests)
    out = repo / "report"
    assert cli("report", "demo", "a1", "--out", str(out)).exit_code == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    failing = page.split("<h2>Tests that fail most often</h2>")[1].split("<h2>")[0]
    assert (
        "<tr><td>test_add</td><td>1</td><td>1 failed</td>"
        "<td><ul><li>AssertionError: add(1, 2) should be 3 (1×)</li></ul></td></tr>"
    ) in failing
    assert f"<td>1 timeout</td><td><ul><li>{STOPPED} (1×)</li></ul></td>" in failing
    assert "decoy" not in failing


def _to_version_1(url: str) -> None:
    """The gradebook as an autograder before the schema version left it: nbgrader's
    tables and `autograder_results`, nothing else of ours."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("autograder_schema", "autograder_releases", "autograder_test_results"):
            conn.execute(text(f"DROP TABLE {table}"))
    engine.dispose()
    store._checked.discard(url)  # this process checked it before it was made old


def test_an_old_gradebook_is_upgraded_and_report_and_export_still_work(
    repo: Path, cli: Invoke
) -> None:
    assert cli("release", "demo", "a1").exit_code == 0
    url = _db(repo)
    store.record_zero(url, "demo", "a1", "anna")
    store.save(
        url,
        "a1",
        store.StudentResult("anna", store.GRADED, 0.0, 5.0, 0.0, ["demo.ipynb: test_add: x"]),
    )
    _to_version_1(url)
    assert "autograder_test_results" not in inspect(create_engine(url)).get_table_names()

    exported = cli("export", "demo", "--out", str(repo / "out"))
    assert exported.exit_code == 0, exported.output
    assert store.schema_version(url) == store.SCHEMA_VERSION == 2
    assert "autograder_test_results" in inspect(create_engine(url)).get_table_names()
    assert store.load_tests(url, "a1") == {}
    assert store.load(url, "a1")["anna"].messages == ["demo.ipynb: test_add: x"]
    with (repo / "out/questions.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["grade_id"], r["score"], r["graded_by"], r["status"]) for r in rows] == [
        ("test_add", "0", "autograder", ""),
        ("test_mul", "0", "autograder", ""),
    ]

    reported = cli("report", "demo", "a1", "--out", str(repo / "report"))
    assert reported.exit_code == 0, reported.output
    page = (repo / "report/index.html").read_text(encoding="utf-8")
    failing = page.split("<h2>Tests that fail most often</h2>")[1].split("<h2>")[0]
    # The failures still count (nbgrader's scores), with no per-test detail to show.
    assert "<tr><td>test_add</td><td>1</td><td></td><td><ul></ul></td></tr>" in failing
