"""The installed `autograder` command: its help and its errors for unknown ids."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.conftest import Invoke
from tests.factory import answered, save, source_notebook

EXE = Path(sys.executable).with_name("autograder")


def test_help_lists_every_command() -> None:
    result = subprocess.run([EXE, "--help"], capture_output=True, text=True, check=True)
    for command in ("build", "release", "grade", "feedback", "export", "validate"):
        assert f"  {command} " in result.stdout


def test_unknown_course_exits_2_with_message(repo: Path) -> None:
    result = subprocess.run(
        [EXE, "--root", str(repo), "release", "nope", "a1"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "unknown course 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_assignment_names_the_known_ones(cli: Invoke) -> None:
    result = cli("grade", "demo", "a9", ".")
    assert result.exit_code == 2
    assert "course 'demo' has no assignment 'a9' (known: a1)" in result.output


def test_outside_a_repository_is_explained(tmp_path: Path) -> None:
    result = subprocess.run([EXE, "validate"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert "not inside a course repository" in result.stderr


def test_the_command_leaves_its_heap_to_the_operating_system_at_exit() -> None:
    """The interpreter's last collections of nbgrader's heap cost 0.2-0.3 s per command."""
    script = (
        "import gc, sys\n"
        "from autograder import cli\n"
        "sys.argv = ['autograder', '--help']\n"
        "try:\n"
        "    cli.run()\n"
        "except SystemExit:\n"
        "    print(gc.get_freeze_count() > 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


HOSTILE = "[/] :warning: [bold]not markup[/bold]"


@pytest.mark.sandbox
def test_grade_table_prints_a_students_message_as_written(repo: Path, cli: Invoke) -> None:
    """rich reads `[/]` as a closing tag: unescaped, it crashed the command before its table."""
    folder = repo.parent / "class"
    add = f'def add(a, b):\n    raise ValueError("{HOSTILE}")'
    save(answered(source_notebook(), {"add": add}), folder / "mallory.ipynb")
    result = cli("grade", "demo", "a1", str(folder))
    assert result.exit_code == 0, result.output
    assert f"test_add: ValueError: {HOSTILE}" in result.output


@pytest.mark.sandbox
def test_an_error_prints_the_file_name_as_written(repo: Path, cli: Invoke) -> None:
    result = cli("grade", "demo", "a1", str(repo / "[/]nowhere"))
    assert result.exit_code == 2
    assert "[/]nowhere: no such file or folder" in result.output


def test_self_check_prints_a_test_message_as_written(repo: Path, cli: Invoke) -> None:
    assert cli("release", "demo", "a1").exit_code == 0
    release = nbformat.read(repo / "assignments/demo/release/a1/demo.ipynb", as_version=4)
    add = f'def add(a, b):\n    raise ValueError("{HOSTILE}")'
    path = save(answered(release, {"add": add}), repo.parent / "student" / "demo.ipynb")
    result = subprocess.run(
        [EXE, "check", str(path)], cwd=path.parent, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr
    assert f"FAIL test_add (2 points): ValueError: {HOSTILE}" in result.stdout


def test_feedback_prints_a_failure_as_written(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure's text quotes nbgrader, which may quote the student's notebook."""
    monkeypatch.setattr(
        "autograder.reporting.feedback.generate",
        lambda *args: {"mallory": f"feedback failed: {HOSTILE}"},
    )
    result = cli("feedback", "demo", "a1")
    assert result.exit_code == 1
    assert f"mallory: feedback failed: {HOSTILE}" in result.output
