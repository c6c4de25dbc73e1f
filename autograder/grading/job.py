"""One submission's grading, as a worker runs it: check, autograde with nbgrader, record.

The same `grade_job` runs in a local pool worker (backends/local.py) or as a Dask
task (backends/dask.py): everything it needs travels in the `Job`, and the
worker's sandbox and warm kernel (runtime/worker_kernels.py) outlive the job.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from autograder.course.config import Assignment, Course
from autograder.course.errors import SubmissionError
from autograder.course.notebooks import first_error, nbgrader_meta, read_notebook
from autograder.grading import store
from autograder.nbgrader.repair import compare_structure
from autograder.nbgrader.settings import NBGRADER_LOCK, make_api, nbgrader_problem
from autograder.runtime import context


@dataclass(frozen=True)
class Job:
    """One submission to grade; picklable, so it can cross to a process or a Dask worker."""

    course: Course
    assignment: Assignment
    course_root: str
    db_url: str
    student: str
    notebooks: tuple[str, ...]
    labels: tuple[str, ...]
    """How to name each notebook in messages: the file the student handed in."""
    notes: tuple[str, ...] = ()
    in_place: bool = False
    """Graded where the student's files are (nbgrader collect): never rename them."""
    digest: str = ""
    sandboxed: bool = True
    preload: tuple[str, ...] = ()
    """Modules the kernels' fork server loads (the assignment's imports)."""


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
) -> store.StudentResult:
    """Zero points and the reason. What an earlier run graded and fed back for this student
    goes: feedback built from it would contradict the zero."""
    store.record_zero(ctx.db_url, ctx.course.id, ctx.assignment.id, student)
    for stale in (ctx.autograded_dir(student), ctx.feedback_dir(student)):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
    result = store.StudentResult(
        student, store.UNGRADABLE, 0.0, ctx.assignment.max_score, 0.0, messages
    )
    store.save(ctx.db_url, ctx.assignment.id, result, digest)
    return result


def grade_in_worker(job: Job) -> store.StudentResult:
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
    api = make_api(ctx.course, ctx.course_root, ctx.db_url, ctx.assignment)
    run = context.Run(ctx.assignment.limits, job.preload, job.sandboxed)
    with NBGRADER_LOCK, context.running(run):
        outcome = api.autograde(ctx.assignment.id, job.student, force=True, create=True)
    findings = run.findings
    tampered = tampered or any(e.startswith("tampering") for e in findings)
    status = store.TAMPER if tampered else store.GRADED
    messages.extend(findings)
    if not outcome.get("success"):
        status = store.ERROR
        messages.append(f"grading failed: {nbgrader_problem(outcome)}")
    for name in readable:
        graded = ctx.autograded_dir(job.student) / name
        if graded.is_file():
            failures = test_failures(read_notebook(graded), ctx.assignment.limits.cell_timeout)
            messages.extend(f"{name}: {line}" for line in failures)
    score, max_score, penalty = store.gradebook_score(
        ctx.db_url, ctx.course.id, ctx.assignment.id, job.student
    )
    if penalty:
        messages.append(f"late: {penalty:g} points deducted")
    result = store.StudentResult(
        job.student, status, score, max_score or ctx.assignment.max_score, penalty, messages
    )
    store.save(ctx.db_url, ctx.assignment.id, result, job.digest)
    return result


def grade_job(job: Job) -> Any:
    """Autograde one submission in this worker process and record it; returns a StudentResult."""
    started = time.monotonic()
    result = grade_in_worker(job)
    result.seconds = time.monotonic() - started
    return result
