"""`autograder report`: the teacher's page, written where the teacher asks.

The result is recorded directly (no kernel runs): the page depends only on the
gradebook, the recorded results and the feedback pages on disk.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.grading import store
from tests.conftest import Invoke


def test_report_outside_the_course_folder_links_to_the_feedback(repo: Path, cli: Invoke) -> None:
    assert cli("release", "demo", "a1").exit_code == 0
    db_url = f"sqlite:///{repo / 'assignments/demo/gradebook.db'}"
    store.record_zero(db_url, "demo", "a1", "broken")
    store.save(db_url, "a1", store.StudentResult("broken", store.UNGRADABLE, 0.0, 5.0))
    assert cli("feedback", "demo", "a1").exit_code == 0
    out = repo.parent / "elsewhere" / "report"
    result = cli("report", "demo", "a1", "--out", str(out))
    assert result.exit_code == 0, result.output
    links = re.findall(r'href="([^"]+)">feedback<', (out / "index.html").read_text())
    assert [(out / link).resolve() for link in links] == [
        (repo / "assignments/demo/feedback/broken/a1/feedback.html").resolve()
    ]
