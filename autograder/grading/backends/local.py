"""The local pool of grading workers, started before the grader needs it.

Every worker needs nbgrader, nbconvert, SQLAlchemy and jupyter_client imported:
about 1.2 s of CPU per process, as much as grading three submissions. So workers
are not spawned as fresh interpreters but forked from multiprocessing's fork
server, a clean single-threaded process that imports all of that once. `start()`
launches that server as early as the command line can call it, so its imports
run on one core while the coordinator loads its own on the other.

A `Pool` starts its workers as soon as it is entered, and each prepares its
sandbox, fork server and first kernel (`worker_kernels.warm_up`) while the coordinator
is still generating the release and staging submissions.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `start` must not wait for the imports it exists to overlap
    from autograder.course.config import Limits
    from autograder.grading.job import Job
    from autograder.grading.store import StudentResult

# Imported once by the fork server, in this order; every worker is a fork of it.
PRELOAD = ["__main__", "autograder.grading.backends.pool_server_main"]


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


PACKAGE_HOME = Path(__file__).resolve().parents[3]
"""The folder that holds the `autograder` package this process runs."""


def _ensure_server() -> None:
    """Start the fork server, unless it runs, from the folder that holds this package.

    Python before 3.13 starts it as `python -c ...` and ignores the path it is handed,
    so the folder it starts in comes first on its path: started from a folder with
    another `autograder` in it (another checkout, another version), it would preload
    that one, and every worker would die unpickling this one's jobs. Callers hold the
    working directory still (a single thread, or NBGRADER_LOCK)."""
    here = os.getcwd()
    os.chdir(PACKAGE_HOME)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        os.chdir(here)


def start() -> None:
    """Launch the fork server now (it is started once per process), so that its
    imports overlap the caller's. Called by the command line while it has one thread."""
    _context()
    _ensure_server()


class Pool:
    """`workers` grading processes, each warmed up for one assignment's kernels.

    `limits` and `preload` are what every job of the run shares (None: grade
    without the sandbox, nothing to warm). Workers are forks of a server started
    earlier, so each is handed this process's environment as it is on entry, as a
    freshly spawned worker would inherit it.
    """

    def __init__(self, workers: int, limits: Limits | None, preload: tuple[str, ...]) -> None:
        from autograder.runtime.worker_kernels import warm_up

        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(),
            initializer=warm_up,
            initargs=(dict(os.environ), limits, preload),
        )
        self.workers = workers

    def __enter__(self) -> Pool:
        from autograder.nbgrader.settings import NBGRADER_LOCK

        # The executor starts a process per task that finds no idle worker: one
        # trivial task each starts them all now, not when the first job arrives.
        # A new worker takes on the working directory this process has at that moment,
        # and nbgrader moves it into a course folder while it converts, in another
        # thread (validate grades several assignments at once, then deletes each
        # folder): under the lock, the directory is the one the command started in.
        with NBGRADER_LOCK:
            _ensure_server()
            for _ in range(self.workers):
                self._executor.submit(int)
        return self

    def run(self, jobs: list[Job]) -> Iterator[tuple[Job, StudentResult | Exception]]:
        """(job, result or the exception it raised), as workers finish them."""
        from autograder.grading.backends.futures import outcomes
        from autograder.grading.job import grade_job

        futures = {self._executor.submit(grade_job, job): job for job in jobs}
        yield from outcomes(futures, as_completed)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
