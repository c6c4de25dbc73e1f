from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from autograder.cli import main
from tests.factory import make_repo

os.environ.setdefault("OMP_NUM_THREADS", "1")

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
