"""A submission that becomes ungradable leaves nothing of an earlier grading behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.factory import save, source_notebook

pytestmark = pytest.mark.sandbox


def test_an_ungradable_resubmission_removes_the_earlier_graded_copy_and_feedback(
    repo: Path, cli: Invoke
) -> None:
    folder = repo.parent / "class"
    save(source_notebook(), folder / "anna.ipynb")
    assert cli("grade", "demo", "a1", str(folder)).exit_code == 0
    assert cli("feedback", "demo", "a1").exit_code == 0
    course = repo / "assignments/demo"
    assert (course / "autograded/anna/a1/demo.ipynb").is_file()
    assert (course / "feedback/anna/a1/demo.html").is_file()

    (folder / "anna.ipynb").write_text("{ not json", encoding="utf-8")
    result = cli("grade", "demo", "a1", str(folder))
    assert "ungradable" in result.output
    assert not (course / "autograded/anna/a1").exists()
    assert not (course / "feedback/anna/a1/demo.html").exists()
