"""Grading one assignment: the coordinator that stages, schedules and records submissions.

The coordinator stages every submission into nbgrader's `submitted/` folder, skips
those already recorded with the same inputs (so a killed run resumes where it
stopped), and hands the rest to long-lived workers (`worker.grade_job`): a local
process pool by default (grading/pool.py, started before the release is made), or
a Dask cluster. A worker autogrades with nbgrader,
inside the sandbox, and records the result; one submission's failure is recorded
for that student and never stops the others.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from autograder.config import Assignment, Course
from autograder.errors import SubmissionError
from autograder.grading import results, worker
from autograder.grading.collect import Submission, stage
from autograder.grading.forkserver import assignment_imports
from autograder.grading.pool import Pool
from autograder.grading.repair import compare_structure
from autograder.grading.worker import Job
from autograder.nbgrader_setup import NBGRADER_LOCK, make_api, nbgrader_problem
from autograder.notebooks import first_error, nbgrader_meta, read_notebook
from autograder.release import generate_release

# Student code runs single-threaded: predictable on shared 2-core graders.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class GradingContext:
    course: Course
    assignment: Assignment
    course_root: Path
    db_url: str

    @property
    def source_dir(self) -> Path:
        return self.course_root / "source" / self.assignment.id

    def submitted_dir(self, student: str) -> Path:
        return self.course_root / "submitted" / student / self.assignment.id

    def autograded_dir(self, student: str) -> Path:
        return self.course_root / "autograded" / student / self.assignment.id

    def feedback_dir(self, student: str) -> Path:
        return self.course_root / "feedback" / student / self.assignment.id


def test_failures(notebook: NotebookNode, cell_timeout: int) -> list[str]:
    """One line per failing test cell: what a student needs to know first. An answer a
    person grades (`solution` and `grade`) is no test: its errors are the person's to judge."""
    lines = []
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade") or meta.get("solution") or cell.cell_type != "code":
            continue
        failure = first_error(cell)
        if failure is None:
            continue
        kind, ename, first = failure
        if kind == "unanswered":
            lines.append(f"{meta['grade_id']}: not answered yet (NotImplementedError)")
        elif kind == "timeout":
            lines.append(
                f"{meta['grade_id']}: stopped after the time limit ({cell_timeout} s per cell); "
                "look for an endless loop or a slow computation"
            )
        else:
            lines.append(f"{meta['grade_id']}: {ename}: {first[:300]}".rstrip(": "))
    return lines


def _check_notebooks(
    ctx: GradingContext, folder: Path, job: Job
) -> tuple[list[str], list[str], bool]:
    """(messages, names of notebooks that cannot be read, whether the nbgrader metadata of
    a graded cell was changed: repaired before grading, but tampering all the same)."""
    messages: list[str] = []
    unreadable: list[str] = []
    tampered = False
    for name, label in zip(job.notebooks, job.labels, strict=True):
        try:
            notebook = read_notebook(folder / name, label=f"{job.student}/{label}")
        except SubmissionError as exc:
            messages.append(str(exc))
            unreadable.append(name)
            continue
        source = read_notebook(ctx.source_dir / name)
        problems = compare_structure(source, notebook)
        messages.extend(f"{name}: {p.message}" for p in problems)
        tampered = tampered or any(p.kind == "metadata-changed" for p in problems)
    return messages, unreadable, tampered


def record_ungradable(
    ctx: GradingContext, student: str, messages: list[str], digest: str = ""
) -> results.StudentResult:
    """Zero points and the reason. What an earlier run graded and fed back for this student
    goes: feedback built from it would contradict the zero."""
    results.record_zero(ctx.db_url, ctx.course.id, ctx.assignment.id, student)
    for stale in (ctx.autograded_dir(student), ctx.feedback_dir(student)):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
    result = results.StudentResult(
        student, results.UNGRADABLE, 0.0, ctx.assignment.max_score, 0.0, messages
    )
    results.save(ctx.db_url, ctx.assignment.id, result, digest)
    return result


def grade_in_worker(job: Job) -> results.StudentResult:
    """The work of one submission; runs in a worker process (see worker.grade_job)."""
    ctx = GradingContext(job.course, job.assignment, Path(job.course_root), job.db_url)
    folder = ctx.submitted_dir(job.student)
    messages, unreadable, tampered = _check_notebooks(ctx, folder, job)
    messages = [*job.notes, *messages]
    readable = [n for n in job.notebooks if n not in unreadable]
    if readable and not job.in_place:
        # nbgrader scores a missing notebook zero and grades the others.
        for name in unreadable:
            (folder / name).rename(folder / f"{name}.invalid")
    if not readable:
        if not job.notebooks:
            messages.append("no notebook of this assignment was handed in")
        return record_ungradable(ctx, job.student, messages, job.digest)
    api = make_api(ctx.course, ctx.course_root, ctx.db_url, ctx.assignment, job.sandboxed)
    with NBGRADER_LOCK, worker.collecting() as findings:
        outcome = api.autograde(ctx.assignment.id, job.student, force=True, create=True)
    tampered = tampered or any(e.startswith("tampering") for e in findings)
    status = results.TAMPER if tampered else results.GRADED
    messages.extend(findings)
    if not outcome.get("success"):
        status = results.ERROR
        messages.append(f"grading failed: {nbgrader_problem(outcome)}")
    for name in readable:
        graded = ctx.autograded_dir(job.student) / name
        if graded.is_file():
            failures = test_failures(read_notebook(graded), ctx.assignment.limits.cell_timeout)
            messages.extend(f"{name}: {line}" for line in failures)
    score, max_score, penalty = results.gradebook_score(
        ctx.db_url, ctx.course.id, ctx.assignment.id, job.student
    )
    if penalty:
        messages.append(f"late: {penalty:g} points deducted")
    result = results.StudentResult(
        job.student, status, score, max_score or ctx.assignment.max_score, penalty, messages
    )
    results.save(ctx.db_url, ctx.assignment.id, result, job.digest)
    return result


def assignment_digest(ctx: GradingContext) -> hashlib._Hash:
    """The teacher's side of every result: the assignment's config and source files."""
    digest = hashlib.sha256(ctx.assignment.model_dump_json().encode())
    for path in sorted(ctx.source_dir.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
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
    on_skip: Callable[[results.StudentResult], None],
) -> Iterator[Job]:
    recorded = results.load(ctx.db_url, ctx.assignment.id)
    digests = results.load_digests(ctx.db_url, ctx.assignment.id)
    base = assignment_digest(ctx)
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
        )


def grade_all(
    ctx: GradingContext,
    submissions: list[Submission],
    on_done: Callable[[results.StudentResult], None] = lambda r: None,
    *,
    workers: int | None = None,
    sandboxed: bool = True,
    force: bool = False,
    scheduler: str | None = None,
    on_skip: Callable[[results.StudentResult], None] = lambda r: None,
) -> list[results.StudentResult]:
    """Grade every submission not yet recorded with the same inputs; return all results."""
    os.environ.update(THREAD_ENV)
    done: list[results.StudentResult] = []

    def skipped(result: results.StudentResult) -> None:
        done.append(result)
        on_skip(result)

    with contextlib.ExitStack() as stack:
        local = None
        if not scheduler and submissions:
            # Started first: the workers warm up while the release and staging are done.
            local = stack.enter_context(
                Pool(
                    min(workers or os.cpu_count() or 1, len(submissions)),
                    ctx.assignment.limits if sandboxed else None,
                    assignment_imports(ctx.source_dir) if sandboxed else (),
                )
            )
        generate_release(ctx.course, ctx.assignment, ctx.course_root, ctx.db_url)
        jobs = list(_jobs(ctx, submissions, sandboxed, force, skipped))
        if not jobs:
            return done
        if scheduler:
            from autograder.grading.cluster import run_on_cluster

            outcomes = run_on_cluster(scheduler, jobs)
        else:
            assert local is not None  # there are jobs, so there were submissions
            outcomes = local.run(jobs)
        for job, result in outcomes:
            if isinstance(result, BaseException):  # the worker itself failed: record, go on
                result = results.StudentResult(
                    job.student,
                    results.ERROR,
                    0.0,
                    ctx.assignment.max_score,
                    0.0,
                    [*job.notes, f"grading failed: {type(result).__name__}: {result}"],
                )
                results.save(ctx.db_url, ctx.assignment.id, result, "")
            done.append(result)
            on_done(result)
    return done
