"""Grading tasks on a Dask distributed cluster (`autograder grade --scheduler ADDRESS`).

The tasks are the same `job.grade_job` calls the local pool runs: each carries
everything it needs, and a Dask worker process keeps its sandbox uid and warm
kernel between tasks exactly like a local worker. Workers must share the course
folder with the coordinator (the same machine, or a shared file system) and reach
the gradebook (use PostgreSQL with `--db` when they are on other machines).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from autograder.course.errors import AutograderError
from autograder.grading.backends.futures import outcomes
from autograder.grading.job import Job, grade_job

if TYPE_CHECKING:
    from autograder.grading.store import StudentResult


def run_on_cluster(
    address: str, jobs: list[Job]
) -> Iterator[tuple[Job, StudentResult | Exception]]:
    # The teacher part's: without it the command line names the install line (cli/app.py).
    from distributed import Client, as_completed

    try:
        client = Client(address, timeout=30)
    except OSError as exc:
        raise AutograderError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        futures = {
            client.submit(
                grade_job,
                job,
                pure=False,
                key=f"grade-{job.assignment.id}-{job.student}-{uuid.uuid4().hex[:8]}",
            ): job
            for job in jobs
        }
        yield from outcomes(futures, as_completed)
