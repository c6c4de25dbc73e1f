from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

# The command's consoles take their width from COLUMNS when they are made, on import;
# pytest-xdist's workers have it set to 80, where the grade table wraps its notes.
os.environ["COLUMNS"] = "250"
os.environ.setdefault("OMP_NUM_THREADS", "1")

from autograder.cli import main  # noqa: E402
from tests.factory import make_repo  # noqa: E402

Invoke = Callable[..., Result]


def invoker(root: Path) -> Invoke:
    def invoke(*args: str) -> Result:
        runner = CliRunner(env={"COLUMNS": "250"})
        return runner.invoke(main, ["--root", str(root), *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
def cli(repo: Path) -> Invoke:
    return invoker(repo)
