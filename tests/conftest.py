from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

# The command's consoles take their width from COLUMNS when they are made, on import;
# pytest-xdist's workers have it set to 80, where the grade table wraps its notes.
os.environ["COLUMNS"] = "250"
os.environ.setdefault("OMP_NUM_THREADS", "1")

from autograder.cli import main  # noqa: E402
from autograder.course.config import Limits  # noqa: E402
from autograder.runtime.sandbox import Sandbox  # noqa: E402
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


@contextlib.contextmanager
def mounted_sandbox(uid: int, folder: Path, limits: Limits) -> Iterator[Sandbox]:
    """A sandbox in folder with its tmpfs mounted; its processes killed and its tmpfs
    unmounted afterwards, so no test leaves a mount behind."""
    sandbox = Sandbox(uid, folder / "work", folder / "run", limits)
    sandbox.prepare()
    try:
        yield sandbox
    finally:
        sandbox.kill_processes()
        sandbox.release()
