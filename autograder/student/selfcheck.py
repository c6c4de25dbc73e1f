"""`autograder check NOTEBOOK`: a student's self-check against the visible tests.

It runs on the student's own machine, on the notebook as it stands, and needs
nothing from the teacher: the visible tests are in the notebook, and the
release's manifest (see course/manifest.py) says what a gradable notebook contains.
The student's file is never modified; execution happens on an in-memory copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from autograder.course import manifest as manifest_mod
from autograder.course.cells import is_test, kind_of
from autograder.course.forbidden import notebook_uses
from autograder.course.notebooks import TEXT_STUB, first_error, nbgrader_meta, read_notebook

PASS, FAIL, TODO, NOT_RUN = "pass", "fail", "not answered", "not run"


@dataclass
class TestOutcome:
    grade_id: str
    points: float
    status: str
    message: str = ""


@dataclass
class CheckReport:
    notebook: Path
    course: str | None
    assignment: str | None
    tests: list[TestOutcome] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    gradability: list[str] = field(default_factory=list)
    kernel_died: bool = False
    forbidden: list[str] = field(default_factory=list)
    """Uses of what the assignment forbids, in the student's cells: they work here, and
    raise ForbiddenError when graded."""

    @property
    def gradable(self) -> bool:
        return not self.gradability

    @property
    def passed(self) -> int:
        return sum(t.status == PASS for t in self.tests)

    @property
    def all_pass(self) -> bool:
        return all(t.status == PASS for t in self.tests)


@dataclass(frozen=True)
class Line:
    """One line of the verdict, as `autograder check` prints it and JupyterLab's Validate
    shows it (student/server.py): both read these lines, so they cannot disagree."""

    text: str
    style: str = ""
    mark: str = ""  # PASS / FAIL / TODO / NOT RUN before a test's line
    mark_style: str = ""

    @property
    def plain(self) -> str:
        return f"  {self.mark}{self.text}" if self.mark else self.text


MARKS = {PASS: ("PASS", "green"), FAIL: ("FAIL", "red"), TODO: ("TODO", "yellow")}


def verdict(report: CheckReport) -> list[Line]:
    lines = []
    if report.course:
        lines.append(Line(f"Assignment: {report.course} / {report.assignment}"))
    for test in report.tests:
        text = f" {test.grade_id} ({test.points:g} points)"
        if test.message:
            text += f": {test.message}"
        mark, style = MARKS.get(test.status, ("NOT RUN", "red"))
        lines.append(Line(text, mark=mark, mark_style=style))
    if report.unanswered:
        lines.append(Line(f"Not answered yet: {', '.join(report.unanswered)}"))
    if report.forbidden:
        lines.append(
            Line(
                "Uses what this assignment forbids: it works here, but raises "
                "ForbiddenError when your work is graded, and the tests using it fail:",
                "red",
            )
        )
        lines += [Line(f"  - {use}") for use in report.forbidden]
    if report.kernel_died:
        lines.append(
            Line(
                "The notebook stopped its own kernel (exit() or a crash); "
                "the cells after that did not run.",
                "red",
            )
        )
    if report.gradable:
        lines.append(
            Line("Gradable: yes (all graded cells present, once, with their metadata intact)")
        )
    else:
        lines.append(Line("Gradable: not as it stands", "red"))
        lines += [Line(f"  - {problem}") for problem in report.gradability]
    lines.append(
        Line(
            f"{report.passed} of {len(report.tests)} visible tests pass. "
            "Hidden tests check more when your work is graded."
        )
    )
    return lines


def all_clear(report: CheckReport) -> bool:
    """Nothing left to do that the visible tests can see (the exit code of `check`)."""
    return report.gradable and report.all_pass and not report.unanswered and not report.forbidden


def _outcome(cell, cell_timeout: int) -> tuple[str, str]:
    ran = cell.get("execution_count") is not None or cell.get("outputs")
    if not ran:
        return NOT_RUN, "did not run (an earlier cell stopped the kernel)"
    failure = first_error(cell)
    if failure is None:
        return _score_outcome(cell)
    kind, ename, first = failure
    if kind == "unanswered":
        return TODO, "the function it tests still raises NotImplementedError"
    if kind == "timeout":
        return FAIL, f"stopped after {cell_timeout} s: look for an endless loop or slow code"
    return FAIL, f"{ename}: {first}".rstrip(": ")


def _score_outcome(cell) -> tuple[str, str]:
    """A test that ran without error still earns less than its points, as nbgrader scores
    it (nbgrader.utils.determine_grade), when it writes to stderr (zero) or when its
    output is a number (partial credit: that number)."""
    points = float(nbgrader_meta(cell).get("points", 0) or 0)
    try:
        score, _ = determine_grade(cell)
    except ValueError:  # nbgrader refuses partial credit above the cell's points
        return FAIL, f"its output is more than the test's {points:g} points"
    if score is None or score >= points:
        return PASS, ""
    if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in cell.outputs):
        return FAIL, "it wrote to stderr (a warning?), and a test that does scores zero"
    return FAIL, f"partial credit: {score:g} of {points:g} points"


def _students(cell: NotebookNode) -> bool:
    """A cell the student writes: an answer, or one nbgrader does not manage."""
    kind = kind_of(cell)
    return kind is None or kind.written_by_student


def check_notebook(path: Path, timeout: int | None = None) -> CheckReport:
    notebook = read_notebook(path)
    manifest = notebook.metadata.get(manifest_mod.KEY) or {}
    cell_timeout = timeout or int(manifest.get("cell_timeout", 120))
    report = CheckReport(path, manifest.get("course"), manifest.get("assignment"))
    if manifest:
        report.gradability = [p.message for p in manifest_mod.check(notebook, manifest)]
    else:
        report.gradability = [
            "this notebook has no assignment manifest: was it downloaded from "
            "the course's Assignments page?"
        ]
    banned = [str(name) for name in manifest.get("forbidden", [])]
    report.forbidden = [
        f"cell {cell}, line {line}: {name}"
        for cell, line, name in notebook_uses(notebook, banned, _students)
    ]
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        kind = kind_of(cell)
        if (kind is not None and kind.written_by_student) and (
            "raise NotImplementedError" in cell.source or cell.source.strip() == TEXT_STUB
        ):
            report.unanswered.append(str(meta.get("grade_id")))
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    # The kernel's own environment, not the process's: Validate runs this in a thread of
    # the student's Jupyter server (student/server.py), where os.environ is shared.
    env = {"OMP_NUM_THREADS": "1", **os.environ}
    try:
        client.execute(env=env)
    except DeadKernelError:
        report.kernel_died = True
    seen: set[str] = set()
    for cell in reversed(notebook.cells):  # the last copy counts, as in grading
        meta = nbgrader_meta(cell)
        gid = str(meta.get("grade_id"))
        if not is_test(cell) or gid in seen:
            continue
        seen.add(gid)
        status, message = _outcome(cell, cell_timeout)
        report.tests.append(
            TestOutcome(str(gid), float(meta.get("points", 0) or 0), status, message)
        )
    report.tests.reverse()
    return report
