"""A pool worker's warm-up: forked from an older process, it must still act for this run."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_workers_run_this_package_from_a_folder_holding_another(tmp_path: Path) -> None:
    """multiprocessing's fork server puts the folder it starts in first on its path: from
    a folder with another `autograder` in it, every worker died (BrokenProcessPool)."""
    impostor = tmp_path / "elsewhere" / "autograder"
    impostor.mkdir(parents=True)
    (impostor / "__init__.py").write_text("raise ImportError('the wrong autograder')\n")
    script = tmp_path / "probe.py"
    script.write_text(
        "import gc\n"
        "from autograder.grading.backends.local import Pool\n"
        "if __name__ == '__main__':\n"
        "    with Pool(1, None, ()) as pool:\n"
        "        print(pool._executor.submit(gc.get_freeze_count).result(timeout=120))\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=impostor.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 100_000  # the real preload ran, and froze its heap
