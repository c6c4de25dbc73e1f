"""`autograder export`: what the LMS files say about each kind of result.

The results are recorded directly (no kernel runs): the labels depend only on the
recorded status and the gradebook's scores.
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.grading import store
from tests.conftest import Invoke


def _record(repo: Path, student: str, status: str) -> None:
    db_url = f"sqlite:///{repo / 'assignments/demo/gradebook.db'}"
    store.record_zero(db_url, "demo", "a1", student)
    store.save(db_url, "a1", store.StudentResult(student, status, 0.0, 5.0))


def _moodle_notes(repo: Path, cli: Invoke) -> dict[str, str]:
    result = cli("export", "demo", "--out", str(repo / "out"))
    assert result.exit_code == 0, result.output
    with (repo / "out/moodle.csv").open(encoding="utf-8") as fh:
        rows = csv.DictReader(fh)
        return {row["Username"]: row["Feedback: Adding and multiplying"] for row in rows}


def test_a_tamper_submission_is_labelled_graded_with_a_tamper_note(repo: Path, cli: Invoke) -> None:
    assert cli("release", "demo", "a1").exit_code == 0
    _record(repo, "mallory", store.TAMPER)
    note = _moodle_notes(repo, cli)["mallory"]
    assert note.startswith("0 of 5 points.")
    assert "tried to change how it was graded" in note
    assert "Could not be graded" not in note
