"""A pool worker's warm-up: forked from an older process, it must still act for this run."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from autograder.course.config import Limits
from autograder.runtime import worker_kernels as worker


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A stand-in for the worker's os.environ, restored after the test."""
    env = {"LEFT_BY_THE_FORK_SERVER": "old"}
    monkeypatch.setattr(os, "environ", env)
    return env


def test_worker_takes_the_environment_of_the_run(environment: dict[str, str]) -> None:
    worker.warm_up({"TMPDIR": "/scratch/run"}, None, ())
    assert environment == {"TMPDIR": "/scratch/run"}


def test_warm_up_failure_does_not_escape(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An initializer that raises breaks the pool for every job; the first job reports it."""

    def broken_sandbox(*args: object) -> None:
        raise RuntimeError("bubblewrap is broken")

    monkeypatch.setattr(worker, "state", broken_sandbox)
    worker.warm_up({"A": "1"}, Limits(), ())
    assert environment == {"A": "1"}


def test_workers_leave_the_fork_servers_imports_to_no_garbage_collection() -> None:
    """Collections in a worker scan what grading makes, not nbgrader's million objects."""
    import gc

    from autograder.grading.backends.local import Pool

    with Pool(1, None, ()) as pool:
        frozen = pool._executor.submit(gc.get_freeze_count).result(timeout=120)
    assert frozen > 100_000


def test_workers_start_in_the_commands_folder_while_nbgrader_is_elsewhere(
    tmp_path: Path,
) -> None:
    """nbgrader moves the process into a course folder while it converts (validate does so
    in one thread while another starts its pool, then deletes that folder): a worker
    started meanwhile must not begin in it."""
    from autograder.grading.backends.local import Pool
    from autograder.nbgrader.settings import NBGRADER_LOCK

    course = tmp_path / "course"
    course.mkdir()
    inside = threading.Event()

    def convert() -> None:  # what nbgrader's converter does, under the lock as we call it
        with NBGRADER_LOCK:
            home = os.getcwd()
            os.chdir(course)
            inside.set()
            time.sleep(1.0)  # the pool is being started in the other thread meanwhile
            os.chdir(home)
            course.rmdir()

    here = os.getcwd()
    thread = threading.Thread(target=convert)
    thread.start()
    inside.wait(timeout=30)
    with Pool(2, None, ()) as pool:
        thread.join()
        folders = [pool._executor.submit(os.getcwd) for _ in range(4)]
        assert {f.result(timeout=120) for f in folders} == {here}
