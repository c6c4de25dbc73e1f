"""One submission's grading, as a worker runs it: check, autograde with nbgrader, record.

The same `grade_job` runs in a local pool worker (backends/local.py) or as a Dask
task (backends/dask.py): everything it needs travels in the `Job`, and the
worker's sandbox and warm kernel (runtime/worker_kernels.py) outlive the job.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from autograder.course.cells import CellKind, graded_cells, is_test
from autograder.course.cells import points as points_of
from autograder.course.config import Assignment, Course
from autograder.course.errors import SubmissionError
from autograder.course.forbidden import notebook_uses
from autograder.course.notebooks import first_error, nbgrader_meta, read_notebook
from autograder.course.structure import grade_ids
from autograder.grading import store
from autograder.grading.scores import CellScore, submission_breakdown
from autograder.nbgrader.repair import compare_structure
from autograder.nbgrader.settings import NBGRADER_LOCK, make_api, nbgrader_problem
from autograder.runtime import context
from autograder.runtime.execution import BUDGET_ENAME


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


NOT_RUN_ENAME = "TestNotRun"
"""The error execution.enforce_verdicts gives a graded cell that never ran to an end."""


def verdict(
    cell: NotebookNode, points: float, max_points: float, cell_timeout: int
) -> tuple[store.TestStatus, str]:
    """Why an executed test cell earned `points` (nbgrader's score of it), and what a
    student needs to know first. The message quotes the first line of an error, never
    the cell's code, so hidden tests stay hidden."""
    failure = first_error(cell)
    if failure is not None:
        kind, ename, first = failure
        if kind == "unanswered":
            return store.TestStatus.UNANSWERED, "not answered yet (NotImplementedError)"
        if kind == "timeout":
            return store.TestStatus.TIMEOUT, (
                f"stopped after the time limit ({cell_timeout} s per cell); "
                "look for an endless loop or a slow computation"
            )
        message = f"{ename}: {first[:300]}".rstrip(": ")
        if ename == BUDGET_ENAME:
            return store.TestStatus.TIMEOUT, message
        if ename == NOT_RUN_ENAME:
            return store.TestStatus.NOT_RUN, message
        return store.TestStatus.FAILED, message
    if points >= max_points:
        return store.TestStatus.PASSED, ""
    if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in cell.outputs):
        return store.TestStatus.FAILED, (
            "no error, but it wrote to stderr (a warning?), and a test that does scores zero"
        )
    status = store.TestStatus.PARTIAL if points > 0 else store.TestStatus.FAILED
    return status, f"partial credit: {points:g} of {max_points:g} points"


def failure_lines(results: list[store.TestResult]) -> list[str]:
    """The submission's messages about its tests: one line per failing test, made from
    the stored results, so the messages and the rows cannot disagree."""
    return [
        f"{r.notebook}.ipynb: {r.grade_id}: {r.message}"
        for r in results
        if r.kind is CellKind.TEST and r.status in store.FAILING and r.message
    ]


def test_failures(notebook: NotebookNode, cell_timeout: int) -> list[str]:
    """One line per failing test cell of an executed notebook, scored as nbgrader scores
    it (for a notebook that has no gradebook entry). An answer a person grades is no
    test: its errors are the person's to judge."""
    lines = []
    for cell in notebook.cells:
        if not is_test(cell):
            continue
        max_points = points_of(nbgrader_meta(cell))
        try:
            score = determine_grade(cell)[0] or 0.0
        except (KeyError, ValueError):  # partial credit nbgrader refuses: it scores nothing
            score = 0.0
        status, message = verdict(cell, score, max_points, cell_timeout)
        if status in store.FAILING and message:
            lines.append(f"{nbgrader_meta(cell)['grade_id']}: {message}")
    return lines


def _result(
    score: CellScore, cell: NotebookNode | None, kind: CellKind, cell_timeout: int
) -> store.TestResult:
    def made(status: store.TestStatus, message: str = "") -> store.TestResult:
        points = None if status is store.TestStatus.WAITING else score.score
        return store.TestResult(
            score.notebook, score.grade_id, kind, points, score.max_score, status, message
        )

    if score.waiting:
        return made(store.TestStatus.WAITING)
    if cell is None:  # its notebook was not graded; the submission's messages say why
        return made(store.TestStatus.NOT_RUN)
    if kind is CellKind.TEST:
        return made(*verdict(cell, score.score, score.max_score, cell_timeout))
    # An answer or task nbgrader scored itself: an answer handed in as released is zero.
    if score.score >= score.max_score:
        return made(store.TestStatus.PASSED)
    if score.score <= 0 and kind is CellKind.MANUAL:
        return made(store.TestStatus.UNANSWERED, "not answered")
    return made(store.TestStatus.PARTIAL if score.score > 0 else store.TestStatus.FAILED)


def cell_results(ctx: GradingContext, student: str, graded: list[str]) -> list[store.TestResult]:
    """A result per graded cell of the submission, in notebook order: the points are
    nbgrader's (its gradebook, just written), the status and message come from the
    autograded copy of each notebook in `graded`; a notebook not in it (unreadable or not
    handed in) was not run. Empty when nbgrader recorded no submission."""
    split = submission_breakdown(ctx.db_url, ctx.course.id, ctx.assignment, student)
    if split is None:
        return []
    results: list[store.TestResult] = []
    for stem in dict.fromkeys(c.notebook for c in split.cells):
        name = f"{stem}.ipynb"
        kinds: dict[str, CellKind] = {}
        if (ctx.source_dir / name).is_file():
            kinds = {c.grade_id: c.kind for c in graded_cells(read_notebook(ctx.source_dir / name))}
        cells: dict[str, NotebookNode] = {}
        path = ctx.autograded_dir(student) / name
        if name in graded and path.is_file():
            for cell in read_notebook(path).cells:  # the last copy counts, as in grading
                grade_id = nbgrader_meta(cell).get("grade_id")
                if grade_id:
                    cells.pop(str(grade_id), None)
                    cells[str(grade_id)] = cell
        order = {grade_id: i for i, grade_id in enumerate(cells)}
        scores = sorted(
            (c for c in split.cells if c.notebook == stem),
            key=lambda c: order.get(c.grade_id, len(order)),
        )
        for score in scores:
            kind = kinds.get(score.grade_id, CellKind.MANUAL if score.by_person else CellKind.TEST)
            results.append(
                _result(score, cells.get(score.grade_id), kind, ctx.assignment.limits.cell_timeout)
            )
    return results


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
        tampered = tampered or any(p.kind in ("metadata-changed", "unknown") for p in problems)
        messages.extend(forbidden_uses(name, source, notebook, ctx.assignment.forbidden))
    return messages, unreadable, tampered


def forbidden_uses(
    name: str, source: NotebookNode, notebook: NotebookNode, forbidden: Sequence[str]
) -> list[str]:
    """A message for each use the student's cells make of what the assignment forbids
    (course/forbidden.py): the answer cells, and any cell the teacher's notebook lacks.
    The teacher's own cells are the teacher's to use them in."""
    if not forbidden:
        return []
    teachers = {str(gid) for gid in grade_ids(source)}

    def students(cell: NotebookNode) -> bool:
        meta = nbgrader_meta(cell)
        return meta.get("grade_id") not in teachers or bool(meta.get("solution"))

    return [
        f"{name}: cell {cell}, line {line}: uses {banned}, which this assignment does "
        "not allow (it raises ForbiddenError when graded)"
        for cell, line, banned in notebook_uses(notebook, forbidden, students)
    ]


def record_ungradable(
    ctx: GradingContext, student: str, messages: list[str], digest: str = ""
) -> store.StudentResult:
    """Zero points and the reason. What an earlier run graded and fed back for this student
    goes: feedback built from it would contradict the zero. So do its per-test rows, and
    none take their place: no test ran, and the reason is the submission's, not a test's."""
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
    """The work of one submission; runs in a worker process (grade_job, below)."""
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
    run = context.Run(
        ctx.assignment.limits,
        job.preload,
        job.sandboxed,
        forbidden=tuple(ctx.assignment.forbidden),
        teacher_files=ctx.source_dir,
    )
    with NBGRADER_LOCK, context.running(run):
        outcome = api.autograde(ctx.assignment.id, job.student, force=True, create=True)
    findings = run.findings
    tampered = tampered or any(e.startswith("tampering") for e in findings)
    status = store.TAMPER if tampered else store.GRADED
    messages.extend(findings)
    if not outcome.get("success"):
        status = store.ERROR
        messages.append(f"grading failed: {nbgrader_problem(outcome)}")
    tests = cell_results(ctx, job.student, readable)
    messages.extend(failure_lines(tests))
    score, max_score, penalty = store.gradebook_score(
        ctx.db_url, ctx.course.id, ctx.assignment.id, job.student
    )
    if penalty:
        messages.append(f"late: {penalty:g} points deducted")
    result = store.StudentResult(
        job.student, status, score, max_score or ctx.assignment.max_score, penalty, messages
    )
    store.save(ctx.db_url, ctx.assignment.id, result, job.digest, tests)
    return result


def grade_job(job: Job) -> store.StudentResult:
    """Autograde one submission in this worker process and record it; returns a StudentResult."""
    started = time.monotonic()
    result = grade_in_worker(job)
    result.seconds = time.monotonic() - started
    return result
