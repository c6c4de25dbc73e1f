"""Grading one assignment: stage each submission, autograde it with nbgrader, record the outcome.

One submission's failure (broken JSON, a crash inside nbgrader) is recorded for
that student and never stops the others. Scores live in nbgrader's gradebook;
the reasons live in `results` beside them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from autograder.config import Assignment, Course
from autograder.errors import SubmissionError
from autograder.grading import results
from autograder.grading.collect import Submission, stage
from autograder.grading.repair import compare_structure
from autograder.nbgrader_setup import NBGRADER_LOCK, make_api, nbgrader_problem
from autograder.notebooks import nbgrader_meta, read_notebook
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


def test_failures(notebook: NotebookNode, cell_timeout: int) -> list[str]:
    """One line per failing test cell: what a student needs to know first."""
    lines = []
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            continue
        ename, evalue = errors[0].get("ename", "Error"), str(errors[0].get("evalue", ""))
        if ename == "NotImplementedError":
            lines.append(f"{meta['grade_id']}: not answered yet (NotImplementedError)")
        elif ename in ("KeyboardInterrupt", "CellTimeoutError"):
            lines.append(
                f"{meta['grade_id']}: stopped after the time limit ({cell_timeout} s per cell); "
                "look for an endless loop or a slow computation"
            )
        else:
            first = evalue.strip().splitlines()[0] if evalue.strip() else ""
            lines.append(f"{meta['grade_id']}: {ename}: {first[:300]}".rstrip(": "))
    return lines


def _check_notebooks(ctx: GradingContext, sub: Submission) -> tuple[list[str], list[str]]:
    """(messages, names of notebooks that cannot be read)."""
    messages: list[str] = list(sub.notes)
    unreadable: list[str] = []
    for name, path in sub.notebooks.items():
        try:
            notebook = read_notebook(path, label=f"{sub.student}/{path.name}")
        except SubmissionError as exc:
            messages.append(str(exc))
            unreadable.append(name)
            continue
        source = read_notebook(ctx.source_dir / name)
        messages.extend(f"{name}: {p.message}" for p in compare_structure(source, notebook))
    return messages, unreadable


def grade_submission(ctx: GradingContext, sub: Submission) -> results.StudentResult:
    messages, unreadable = _check_notebooks(ctx, sub)
    target = ctx.submitted_dir(sub.student)
    stage(sub, target)
    readable = [n for n in sub.notebooks if n not in unreadable]
    if not readable:
        results.record_zero(ctx.db_url, ctx.course.id, ctx.assignment.id, sub.student)
        if not sub.notebooks:
            messages.append("no notebook of this assignment was handed in")
        result = results.StudentResult(
            sub.student, results.UNGRADABLE, 0.0, ctx.assignment.max_score, 0.0, messages
        )
        results.save(ctx.db_url, ctx.assignment.id, result)
        return result
    for name in unreadable:
        # nbgrader scores a missing notebook zero and grades the others.
        broken = target / name
        if broken.exists() and sub.folder.resolve() != target.resolve():
            broken.rename(broken.with_suffix(".ipynb.invalid"))
    api = make_api(ctx.course, ctx.course_root, ctx.db_url, ctx.assignment)
    with NBGRADER_LOCK:
        outcome = api.autograde(ctx.assignment.id, sub.student, force=True, create=True)
    status = results.GRADED
    if not outcome.get("success"):
        status = results.ERROR
        messages.append(f"grading failed: {nbgrader_problem(outcome)}")
    for name in readable:
        graded = ctx.autograded_dir(sub.student) / name
        if graded.is_file():
            messages.extend(
                f"{name}: {line}"
                for line in test_failures(read_notebook(graded), ctx.assignment.limits.cell_timeout)
            )
    score, max_score, penalty = results.gradebook_score(
        ctx.db_url, ctx.course.id, ctx.assignment.id, sub.student
    )
    if penalty:
        messages.append(f"late: {penalty:g} points deducted")
    result = results.StudentResult(
        sub.student, status, score, max_score or ctx.assignment.max_score, penalty, messages
    )
    results.save(ctx.db_url, ctx.assignment.id, result)
    return result


def grade_all(
    ctx: GradingContext,
    submissions: list[Submission],
    on_done: Callable[[results.StudentResult], None] = lambda r: None,
) -> list[results.StudentResult]:
    os.environ.update(THREAD_ENV)
    generate_release(ctx.course, ctx.assignment, ctx.course_root, ctx.db_url)
    done = []
    for sub in submissions:
        try:
            result = grade_submission(ctx, sub)
        except Exception as exc:  # one broken submission never stops the others
            result = results.StudentResult(
                sub.student,
                results.ERROR,
                0.0,
                ctx.assignment.max_score,
                0.0,
                [*sub.notes, f"grading failed: {type(exc).__name__}: {exc}"],
            )
            results.save(ctx.db_url, ctx.assignment.id, result)
        done.append(result)
        on_done(result)
    return done
