"""`autograder validate`: proof that the course content works before students see it.

For every lecture: it executes without error inside the course's time budget.
For every assignment: the release leaks no solution or hidden test, grade ids are
unique, points match the config, and, through the same grading path real
submissions take, the teacher's solution earns full marks on every test while the
untouched release earns zero on every one (a test that passes on the release is
a broken test), and every counterexample the teacher keeps (a wrong or shortcut
answer, authoring/counterexamples.py) earns no more than its caps.

Cells a person grades (manually graded answers and tasks, `manual:` in the config)
have no score until someone enters one in formgrader, so the solution is not
expected to earn them: they are listed, their points checked against the config,
and a manual answer whose model answer nbgrader would take for "unanswered" is
reported.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from autograder.authoring import audit, counterexamples
from autograder.authoring.lecture_lint import lint_lecture, lint_start_page, output_problems
from autograder.authoring.release import generate_release
from autograder.course.cells import CellKind, GradedCell, graded_cells
from autograder.course.config import Assignment, Course, NotebookSpec
from autograder.course.errors import AutograderError, ConfigError
from autograder.course.notebooks import read_notebook
from autograder.course.paths import Repo
from autograder.course.sources import assignment_digest
from autograder.grading import store
from autograder.grading.collect import Submission
from autograder.grading.coordinator import THREAD_ENV, grade_all
from autograder.grading.job import GradingContext
from autograder.grading.scores import submission_breakdown
from autograder.grading.store import StudentResult
from autograder.runtime.sandbox import unavailable_reason


@dataclass
class Check:
    name: str
    ok: bool
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the teacher should know that is not a problem (cells graded by a person)."""
    mutation: audit.MutationReport | None = None
    """The mutation analysis, when asked for (`--mutants`)."""


def run_lecture(repo: Repo, course: Course, lecture: str) -> Check:
    path = repo.book / lecture
    name = f"lecture {course.id}/{Path(lecture).name}"
    if path.suffix == ".md" and "kernelspec:" not in path.read_text(encoding="utf-8")[:2000]:
        return Check(name, True, 0.0)  # a plain page: nothing to execute
    notebook = jupytext.read(path)
    client = NotebookClient(
        notebook,
        timeout=course.lecture_timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.monotonic()
    try:
        client.execute()
    except CellTimeoutError:
        return Check(
            name,
            False,
            time.monotonic() - start,
            [f"book/{lecture}: a cell ran longer than {course.lecture_timeout} s"],
        )
    except CellExecutionError as exc:
        summary = str(exc).strip().splitlines()
        return Check(
            name,
            False,
            time.monotonic() - start,
            [f"book/{lecture}: a cell failed: {summary[-1] if summary else exc}"],
        )
    seconds = time.monotonic() - start
    label = f"book/{lecture}"
    problems = lint_lecture(path, label) + output_problems(notebook, label)
    if seconds > course.lecture_timeout:
        problems.append(
            f"{label}: took {seconds:.1f} s, over the {course.lecture_timeout} s budget"
        )
    return Check(name, not problems, seconds, problems)


def check_start_page(repo: Repo, course: Course) -> Check:
    path = repo.book / course.id / "index.md"
    name = f"start page {course.id}/index.md"
    if not path.is_file():
        return Check(name, False, 0.0, [f"book/{course.id}/index.md: the start page is missing"])
    problems = lint_start_page(path, f"book/{course.id}/index.md")
    return Check(name, not problems, 0.0, problems)


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


_SECTION = {False: "points: (autograded tests)", True: "manual: (graded by a person)"}
_WHAT = {
    CellKind.TEST: "an autograded test",
    CellKind.MANUAL: "an answer graded by a person",
    CellKind.TASK: "a task graded by a person",
}


def _points_problems(
    course: Course, assignment: Assignment, spec: NotebookSpec, label: str, cells: list[GradedCell]
) -> list[str]:
    """Each test cell's points against `points:`, each manual answer's and task's against
    `manual:`; a cell under the wrong one is named with where it belongs."""
    config = f"course_configs/{course.id}.yml"
    sections = {False: spec.points, True: spec.manual}
    scored = {c.grade_id: c for c in cells if c.kind in _WHAT}
    problems = []
    for gid, cell in scored.items():
        listed, other = sections[cell.by_person], sections[not cell.by_person]
        if gid in listed:
            if abs(listed[gid] - cell.points) > 1e-9:
                problems.append(
                    f"{label}: {gid!r} is worth {_points(cell.points)} in the notebook "
                    f"but {listed[gid]:g} in {config}"
                )
        elif gid in other:
            problems.append(
                f"{label}: {gid!r} is {_WHAT[cell.kind]} in the notebook, but {config} lists "
                f"it under {_SECTION[not cell.by_person]}: move it to {_SECTION[cell.by_person]}"
            )
        else:
            problems.append(
                f"{label}: graded cell {gid!r} ({_points(cell.points)}, {_WHAT[cell.kind]}) "
                f"is not in the config: add it under {_SECTION[cell.by_person]}"
            )
    for by_person, listed in sections.items():
        for gid in listed:
            if gid not in scored:
                problems.append(
                    f"{config}: {assignment.id}/{spec.file}: no graded cell {gid!r} in the "
                    f"notebook (listed under {_SECTION[by_person]})"
                )
    return problems


def _manual_notes(cells: list[GradedCell]) -> list[str]:
    return [
        f"manual: {c.grade_id!r} ({_points(c.points)}, "
        + ("graded by a person)" if c.kind is CellKind.MANUAL else "a task graded by a person)")
        for c in cells
        if c.by_person
    ]


def _static_checks(
    repo: Repo, course: Course, assignment: Assignment
) -> tuple[list[str], list[str]]:
    """(problems, notes) from the source notebooks and the config alone."""
    problems, notes = [], []
    source = repo.source_dir(course.id, assignment.id)
    seen: dict[str, str] = {}
    for spec in assignment.notebooks:
        notebook = read_notebook(source / spec.file)
        label = f"{repo.rel(source / spec.file)}"
        cells = graded_cells(notebook)
        for cell in cells:
            if cell.grade_id in seen:
                problems.append(f"{label}: grade id {cell.grade_id!r} used twice")
            seen[cell.grade_id] = spec.file
        problems += _points_problems(course, assignment, spec, label, cells)
        notes += _manual_notes(cells)
        if any(c.outputs for c in notebook.cells if c.cell_type == "code"):
            problems.append(f"{label}: stored with outputs; clear them before committing")
    return problems, notes


def _cell_scores(
    db_url: str, course_id: str, assignment: Assignment, student: str
) -> dict[str, tuple[float, float, bool]]:
    """grade id -> (score, max score, whether it waits for a person: needs_manual_grade),
    as grading/scores.py reads them; every notebook of the assignment must be there."""
    split = submission_breakdown(db_url, course_id, assignment, student)
    graded = {c.notebook for c in split.cells} if split is not None else set()
    missing = sorted({spec.stem for spec in assignment.notebooks} - graded)
    if split is None or missing:
        raise AutograderError(
            f"{course_id}/{assignment.id}: the gradebook has no graded "
            f"{', '.join(missing) or 'submission'} of {student!r}"
        )
    return {c.grade_id: (c.score, c.max_score, c.waiting) for c in split.cells}


def _counterexamples(
    name: str,
    db_url: str,
    course_id: str,
    assignment: Assignment,
    outcome: dict[str, StudentResult],
) -> tuple[list[str], list[audit.CounterexampleScore]]:
    """(each counterexample that was not graded or that earned more than its caps, what
    each graded one earned beside its caps: for the audit's page)."""
    problems, scored = [], []
    for cx in assignment.counterexamples:
        student = counterexamples.student_id(cx)
        result = outcome[student]
        if result.status not in ("graded", "tamper"):
            problems += [f"{name} (counterexample {cx.name!r}): {m}" for m in result.messages]
            continue
        spec = assignment.counterexample_notebook(cx)
        scores = _cell_scores(db_url, course_id, assignment, student)
        paid = {gid: s for gid, (s, _, _) in scores.items() if gid in spec.points}
        found = counterexamples.overpaid(cx, paid, set(spec.points))
        if found is not None:
            problems.append(found.message(name))
        caps = [f"{cx.max_points:g} in all"] if cx.max_points is not None else []
        caps += [f"{cap:g} on {gid}" for gid, cap in cx.caps.items()]
        scored.append(
            audit.CounterexampleScore(
                cx.name, cx.reason, sum(paid.values()), "; ".join(caps), found is None
            )
        )
    return problems, scored


def check_assignment(
    repo: Repo, course: Course, assignment: Assignment, mutants: bool = False
) -> Check:
    name = f"assignment {course.id}/{assignment.id}"
    start = time.monotonic()
    problems, notes = _static_checks(repo, course, assignment)
    if problems:
        return Check(name, False, time.monotonic() - start, problems, notes)
    manual = {gid for spec in assignment.notebooks for gid in spec.manual}
    with tempfile.TemporaryDirectory(prefix="autograder-validate-") as tmp:
        root = Path(tmp) / course.id
        shutil.copytree(repo.source_dir(course.id, assignment.id), root / "source" / assignment.id)
        db_url = f"sqlite:///{root / 'gradebook.db'}"
        ctx = GradingContext(course, assignment, root, db_url)
        source = root / "source" / assignment.id
        release = root / "release" / assignment.id
        subs = [
            Submission(
                "solution", source, {nb.file: source / nb.file for nb in assignment.notebooks}
            ),
            Submission(
                "release", release, {nb.file: release / nb.file for nb in assignment.notebooks}
            ),
        ]
        cx_dir = repo.counterexamples_dir(course.id, assignment.id)
        notes += [
            f"counterexample {repo.rel(cx_dir / file)} is not in the config, so not graded "
            "(list it under counterexamples: once the tests refuse it)"
            for file in counterexamples.unlisted(assignment, cx_dir)
        ]
        for cx in assignment.counterexamples:
            folder = Path(tmp) / "counterexamples" / cx.name
            try:
                files = counterexamples.write_submission(assignment, cx, source, cx_dir, folder)
            except ConfigError as exc:
                return Check(name, False, time.monotonic() - start, [str(exc)], notes)
            subs.append(Submission(counterexamples.student_id(cx), folder, files))
        try:
            # The teacher's own notebooks: sandboxed where possible, never refused.
            sandboxed = unavailable_reason() is None
            outcome = {
                r.student: r
                for r in grade_all(
                    ctx,
                    subs,
                    workers=2,
                    sandboxed=sandboxed,
                    prepare=lambda: generate_release(course, assignment, root, db_url),
                )
            }
        except Exception as exc:
            return Check(name, False, time.monotonic() - start, [f"{name}: {exc}"], notes)
        for student in ("solution", "release"):
            if outcome[student].status != "graded":
                problems += [f"{name} ({student}): {m}" for m in outcome[student].messages]
        scored: list[audit.CounterexampleScore] = []
        if not problems:
            for gid, (score, top, waits) in _cell_scores(
                db_url, course.id, assignment, "solution"
            ).items():
                if gid in manual:
                    if not waits:  # nbgrader found the release's text: "unanswered", zero
                        problems.append(
                            f"{name}: the solution's answer {gid!r} is the same as the "
                            "release's, so nbgrader scores it as unanswered: write the model "
                            "answer in the source cell"
                        )
                elif score < top:
                    problems.append(f"{name}: the solution scores {score:g}/{top:g} on {gid!r}")
            for gid, (score, top, _) in _cell_scores(
                db_url, course.id, assignment, "release"
            ).items():
                if score > 0:
                    problems.append(
                        f"{name}: the untouched release scores {score:g}/{top:g} on {gid!r}: "
                        "this test passes without an answer"
                    )
            graded = outcome["solution"].messages
            problems += [f"{name} (solution): {m}" for m in graded]
            overpaid, scored = _counterexamples(name, db_url, course.id, assignment, outcome)
            problems += overpaid
        mutation = None
        if mutants and not problems:
            limited = GradingContext(
                course, audit.time_limited(assignment, outcome["solution"].seconds), root, db_url
            )
            # The same release, graded with shorter time limits: recorded as made from the
            # config the mutants are graded under, as the grader checks before grading.
            store.record_release(
                db_url, assignment.id, assignment_digest(limited.assignment, source).hexdigest()
            )

            def grade(subs: list[Submission]) -> dict[str, StudentResult]:
                found = grade_all(limited, subs, workers=2, sandboxed=sandboxed)
                return {r.student: r for r in found}

            mutation = audit.analyse(
                course, assignment, source, grade, db_url, Path(tmp) / "mutants"
            )
            mutation.counterexamples = scored
            problems += mutation.problems(name)
            notes.append(mutation.summary())
    return Check(name, not problems, time.monotonic() - start, problems, notes, mutation)


def validate(
    repo: Repo,
    courses: list[Course],
    lectures: bool = True,
    assignments: bool = True,
    workers: int | None = None,
    on_done: Callable[[Check], None] = lambda c: None,
    mutants: bool = False,
    only: str | None = None,
) -> list[Check]:
    """Every check of `courses`, run `workers` at a time; `mutants` adds the mutation
    analysis to each assignment's, `only` keeps one assignment (and no lectures)."""
    os.environ.update(THREAD_ENV)
    jobs: list[Callable[[], Check]] = []
    for course in courses:
        if lectures and only is None:
            jobs.append(functools.partial(check_start_page, repo, course))
            jobs += [functools.partial(run_lecture, repo, course, lec) for lec in course.lectures]
        if assignments:
            jobs += [
                functools.partial(check_assignment, repo, course, a, mutants)
                for a in course.assignments
                if only in (None, a.id)
            ]

    def run(job: Callable[[], Check]) -> Check:
        check = job()
        on_done(check)
        return check

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        return list(pool.map(run, jobs))
