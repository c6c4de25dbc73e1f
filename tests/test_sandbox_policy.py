"""Where the sandbox cannot run, grading refuses unless the teacher says otherwise, loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.runtime import sandbox
from tests.conftest import Invoke
from tests.factory import save, source_notebook


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "missing bwrap (test)")


@pytest.fixture
def folder(repo: Path) -> Path:
    save(source_notebook(), repo.parent / "class" / "ann.ipynb")
    return repo.parent / "class"


def test_grading_refuses_without_a_sandbox(no_bwrap: None, cli: Invoke, folder: Path) -> None:
    result = cli("grade", "demo", "a1", str(folder))
    assert result.exit_code == 2
    assert "cannot isolate student code: missing bwrap (test)" in result.output
    assert "--no-sandbox" in result.output


def test_no_sandbox_flag_grades_and_warns(no_bwrap: None, cli: Invoke, folder: Path) -> None:
    result = cli("grade", "demo", "a1", str(folder), "--no-sandbox")
    assert result.exit_code == 0, result.output
    assert "WARNING: grading WITHOUT a sandbox" in result.output
    assert "5 / 5" in result.output


@pytest.mark.sandbox
def test_sandbox_reason_is_none_where_it_can_run() -> None:
    """On the project's machines (Linux, root, bubblewrap installed by .ci/run)."""
    assert sandbox.unavailable_reason() is None


@pytest.mark.sandbox
@pytest.mark.skipif(sandbox.unavailable_reason() is not None, reason="no sandbox here")
def test_no_sandbox_flag_is_obeyed_where_the_sandbox_could_run(cli: Invoke, folder: Path) -> None:
    """It used to grade in the sandbox anyway, whenever bubblewrap was there."""
    result = cli("grade", "demo", "a1", str(folder), "--no-sandbox")
    assert result.exit_code == 0, result.output
    assert "WARNING: grading WITHOUT a sandbox" in result.output
    assert "5 / 5" in result.output


def test_grading_refuses_a_course_every_kernel_could_read(
    monkeypatch: pytest.MonkeyPatch, cli: Invoke, repo: Path, folder: Path
) -> None:
    """Say the course repository lies inside the Python installation: refused, by name."""
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: None)
    monkeypatch.setattr(sandbox, "readonly_paths", lambda: ["/usr", str(repo.parent)])
    result = cli("grade", "demo", "a1", str(folder))
    assert result.exit_code == 2
    assert f"{repo}: every sandboxed kernel could read this" in result.output.replace("\n", "")
