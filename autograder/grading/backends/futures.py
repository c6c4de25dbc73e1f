"""From a backend's futures to (job, result or exception) pairs, whichever executor ran them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from autograder.grading.job import Job

if TYPE_CHECKING:
    from autograder.grading.store import StudentResult


def outcomes(
    futures: dict[Any, Job], completed: Callable[[Iterable[Any]], Iterable[Any]]
) -> Iterator[tuple[Job, StudentResult | Exception]]:
    """(job, result or the exception it raised) as each future finishes, whichever
    executor ran it (`completed` is that executor's `as_completed`)."""
    for future in completed(futures):
        job = futures[future]
        try:
            yield job, future.result()
        except Exception as exc:
            yield job, exc
