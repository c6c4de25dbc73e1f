"""The installed `autograder` command: its help and its errors for unknown ids."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import Invoke

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
