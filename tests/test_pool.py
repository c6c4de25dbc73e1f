"""A pool worker's warm-up: forked from an older process, it must still act for this run."""

from __future__ import annotations

import os

import pytest

from autograder.config import Limits
from autograder.grading import worker


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

    from autograder.grading.pool import Pool

    with Pool(1, None, ()) as pool:
        frozen = pool._executor.submit(gc.get_freeze_count).result(timeout=120)
    assert frozen > 100_000
