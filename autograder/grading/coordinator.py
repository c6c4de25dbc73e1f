"""Grading one assignment: plan, skip, schedule and record its submissions.

The coordinator checks that the assignment's release was made from its current
source, stages every submission into nbgrader's `submitted/` folder, skips those
already recorded with the same inputs (so a killed run resumes where it stopped),
and hands the rest to long-lived workers that run `job.grade_job`: a local process
pool by default (backends/local.py, started first so that its workers warm up
while the rest is prepared), or a Dask cluster (backends/dask.py). One
submission's failure is recorded for that student and never stops the others.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from nbgrader.api import MissingEntry

from autograder.course.errors import AutograderError
from autograder.course.sources import assignment_digest
from autograder.grading import store
from autograder.grading.backends.local import Pool
from autograder.grading.collect import Submission, stage
from autograder.grading.job import GradingContext, Job
from autograder.nbgrader import db
from autograder.runtime.kernel_forkserver import assignment_imports

# Student code runs single-threaded: predictable on shared 2-core graders.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def release_problem(ctx: GradingContext, source_digest: str) -> str | None:
    """Why the release in release/ is not the one to grade against (None: it is): the
    gradebook lacks the assignment, or the release was not made from this source."""
    with db.gradebook(ctx.db_url, ctx.course.id) as gb:
        try:
            gb.find_assignment(ctx.assignment.id)
        except MissingEntry:
            return f"not in the gradebook {db.display(ctx.db_url)}"
    released = store.release_digest(ctx.db_url, ctx.assignment.id)
    if released is None:
        return "the assignment was never released"
    if released != source_digest:
        return "the assignment changed since its release"
    return None


def check_release(ctx: GradingContext) -> hashlib._Hash:
    """The source digest, once sure the gradebook has the assignment and the release in
    release/ was made from the current source: grading against an older release would
    record tests and points the teacher has since changed."""
    digest = assignment_digest(ctx.assignment, ctx.source_dir)
    problem = release_problem(ctx, digest.hexdigest())
    if problem is not None:
        raise AutograderError(
            f"{ctx.course.id}/{ctx.assignment.id}: {problem}: "
            f"run `autograder release {ctx.course.id} {ctx.assignment.id}` first"
        )
    return digest


def input_digest(base: hashlib._Hash, folder: Path, names: list[str]) -> str:
    """What a result depends on: the teacher's assignment (base) and the submitted files."""
    digest = base.copy()
    for name in sorted(names):
        path = folder / name
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b"<missing>"))
    timestamp = folder / "timestamp.txt"
    if timestamp.is_file():
        digest.update(timestamp.read_bytes())
    return digest.hexdigest()


def _jobs(
    ctx: GradingContext,
    submissions: list[Submission],
    sandboxed: bool,
    force: bool,
    on_skip: Callable[[store.StudentResult], None],
) -> Iterator[Job]:
    recorded = store.load(ctx.db_url, ctx.assignment.id)
    digests = store.load_digests(ctx.db_url, ctx.assignment.id)
    base = check_release(ctx)
    preload = assignment_imports(ctx.source_dir) if sandboxed else ()
    for sub in submissions:
        target = ctx.submitted_dir(sub.student)
        stage(sub, target)
        names = sorted(sub.notebooks)
        digest = input_digest(base, target, names)
        if not force and digests.get(sub.student) == digest:
            on_skip(recorded[sub.student])
            continue
        yield Job(
            course=ctx.course,
            assignment=ctx.assignment,
            course_root=str(ctx.course_root),
            db_url=ctx.db_url,
            student=sub.student,
            notebooks=tuple(names),
            labels=tuple(sub.notebooks[name].name for name in names),
            notes=tuple(sub.notes),
            in_place=sub.folder.resolve() == target.resolve(),
            digest=digest,
            sandboxed=sandboxed,
            preload=preload,
        )


def grade_all(
    ctx: GradingContext,
    submissions: list[Submission],
    on_done: Callable[[store.StudentResult], None] = lambda r: None,
    *,
    workers: int | None = None,
    sandboxed: bool = True,
    force: bool = False,
    scheduler: str | None = None,
    on_skip: Callable[[store.StudentResult], None] = lambda r: None,
    prepare: Callable[[], object] = lambda: None,
) -> list[store.StudentResult]:
    """Grade every submission not yet recorded with the same inputs; return all results.

    `prepare` runs once the local workers are starting and before the release is
    checked: where the caller makes the release (the command line does when it is
    missing or stale), it is made while the workers warm up."""
    os.environ.update(THREAD_ENV)
    done: list[store.StudentResult] = []

    def skipped(result: store.StudentResult) -> None:
        done.append(result)
        on_skip(result)

    with contextlib.ExitStack() as stack:
        local = None
        if not scheduler and submissions:
            # Started first: the workers warm up while the release is prepared and checked.
            local = stack.enter_context(
                Pool(
                    min(workers or os.cpu_count() or 1, len(submissions)),
                    ctx.assignment.limits if sandboxed else None,
                    assignment_imports(ctx.source_dir) if sandboxed else (),
                )
            )
        prepare()
        jobs = list(_jobs(ctx, submissions, sandboxed, force, skipped))
        if not jobs:
            return done
        if scheduler:
            from autograder.grading.backends.dask import run_on_cluster

            outcomes = run_on_cluster(scheduler, jobs)
        else:
            assert local is not None  # there are jobs, so there were submissions
            outcomes = local.run(jobs)
        for job, result in outcomes:
            if isinstance(result, BaseException):  # the worker itself failed: record, go on
                result = store.StudentResult(
                    job.student,
                    store.ERROR,
                    0.0,
                    ctx.assignment.max_score,
                    0.0,
                    [*job.notes, f"grading failed: {type(result).__name__}: {result}"],
                )
                store.save(ctx.db_url, ctx.assignment.id, result, "")
            done.append(result)
            on_done(result)
    return done
