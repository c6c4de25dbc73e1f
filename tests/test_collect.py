"""Submissions arrive in nbgrader's layout, as a plain folder or as an LMS .zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from autograder.config import load_course
from autograder.errors import SubmissionError
from autograder.grading.collect import discover, opened, student_id
from autograder.paths import Repo
from tests.conftest import Invoke
from tests.factory import save, source_notebook


def _discover(repo: Path, folder: Path):
    course = load_course(Repo(repo), "demo")
    return discover(folder, course.assignment("a1"), Repo(repo).source_dir("demo", "a1"))


def test_nbgrader_layout_with_renamed_notebook(repo: Path) -> None:
    submitted = repo / "incoming"
    save(source_notebook(), submitted / "anna" / "a1" / "demo.ipynb")
    save(source_notebook(), submitted / "ben" / "a1" / "demo (1).ipynb")
    subs = {s.student: s for s in _discover(repo, submitted)}
    assert subs["anna"].notebooks["demo.ipynb"].name == "demo.ipynb"
    assert subs["ben"].notebooks["demo.ipynb"].name == "demo (1).ipynb"
    assert "notebook 'demo (1).ipynb' was renamed; graded as demo.ipynb" in subs["ben"].notes


def test_lms_file_names_become_safe_student_ids() -> None:
    assert student_id("Åsa Öberg_1234") == "Åsa_Öberg_1234"
    assert student_id("../../etc") == "etc"


def test_zip_of_notebooks_is_graded(repo: Path, cli: Invoke) -> None:
    archive = repo / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "export/lina.ipynb", (repo / "assignments/demo/source/a1/demo.ipynb").read_text()
        )
        zf.writestr("export/__MACOSX/._lina.ipynb", "junk")
    result = cli("grade", "demo", "a1", str(archive))
    assert result.exit_code == 0, result.output
    assert "lina" in result.output and "5 / 5" in result.output


def test_zip_with_unsafe_paths_is_refused(repo: Path) -> None:
    archive = repo / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../escape.ipynb", "{}")
    with pytest.raises(SubmissionError, match="unsafe path"), opened(archive):
        pass


def test_missing_submissions_path_is_a_clear_error(cli: Invoke, repo: Path) -> None:
    result = cli("grade", "demo", "a1", str(repo / "nowhere"))
    assert result.exit_code == 2
    assert "nowhere: no such file or folder" in result.output
