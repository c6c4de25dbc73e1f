"""Counterexamples: wrong or shortcut answers the teacher keeps, and what they may earn.

A test suite that gives the solution full marks and a blank notebook zero can still pay
for work without the skill (a library call that skips the algorithm, a hard-coded
answer to the visible test). The teacher writes such answers down once, with the most
each may earn (course config, `counterexamples:`), and `validate` grades every one of
them through the real grading path, beside the solution, on every run.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.course.cells import kind_of
from autograder.course.config import Assignment, Counterexample
from autograder.course.errors import ConfigError
from autograder.course.notebooks import nbgrader_meta

SECTION = re.compile(r"^# %% *([A-Za-z0-9_-]+) *$", re.MULTILINE)


def student_id(cx: Counterexample) -> str:
    """The name it is graded under, beside "solution" and "release"."""
    return f"counterexample-{cx.name}"


def unlisted(assignment: Assignment, cx_dir: Path) -> list[str]:
    """Counterexample files the config does not list: kept, but graded by nobody (a mistake
    the tests do not refuse yet waits there until they do)."""
    listed = {f"{cx.name}.py" for cx in assignment.counterexamples}
    if not cx_dir.is_dir():
        return []
    return sorted(p.name for p in cx_dir.glob("*.py") if p.name not in listed)


def read_answers(path: Path) -> dict[str, str]:
    """grade id -> code, from `# %% <grade id>` sections (comment lines may come first)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: counterexample file not found") from None
    heads = list(SECTION.finditer(text))
    if not heads:
        raise ConfigError(f"{path}: no '# %% <grade id>' section: name the answer cell it replaces")
    preamble = text[: heads[0].start()].splitlines()
    if any(line.strip() and not line.lstrip().startswith("#") for line in preamble):
        raise ConfigError(f"{path}: code before the first '# %% <grade id>' section")
    answers: dict[str, str] = {}
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        end = following.start() if following else len(text)
        gid = head.group(1)
        if gid in answers:
            raise ConfigError(f"{path}: answer cell {gid!r} appears twice")
        answers[gid] = text[head.end() : end].strip("\n")
    return answers


def build(source: NotebookNode, answers: dict[str, str], path: Path) -> NotebookNode:
    """The teacher's notebook with the named answer cells replaced."""
    notebook = copy.deepcopy(source)
    found = set()
    for cell in notebook.cells:
        gid = str(nbgrader_meta(cell).get("grade_id", ""))
        if gid in answers:
            kind = kind_of(cell)
            if kind is None or not kind.written_by_student:
                raise ConfigError(f"{path}: {gid!r} is not an answer cell of the notebook")
            cell.source = answers[gid]
            found.add(gid)
    missing = sorted(set(answers) - found)
    if missing:
        raise ConfigError(f"{path}: no answer cell {', '.join(map(repr, missing))} in the notebook")
    return notebook


def write_answered(
    assignment: Assignment,
    source_dir: Path,
    folder: Path,
    file: str,
    answers: dict[str, str],
    origin: Path,
) -> dict[str, Path]:
    """A submission in `folder`: the teacher's notebook `file` with the answer cells in
    `answers` (grade id -> code) replaced, every other notebook of the assignment as the
    teacher's solution. `origin` is where the answers come from, named in errors."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for nb in assignment.notebooks:
        notebook = nbformat.read(source_dir / nb.file, as_version=4)
        if nb.file == file:
            notebook = build(notebook, answers, origin)
        nbformat.write(notebook, folder / nb.file)
        files[nb.file] = folder / nb.file
    return files


def write_submission(
    assignment: Assignment, cx: Counterexample, source_dir: Path, cx_dir: Path, folder: Path
) -> dict[str, Path]:
    """The counterexample as a submission in `folder` (write_answered)."""
    path = cx_dir / f"{cx.name}.py"
    file = assignment.counterexample_notebook(cx).file
    return write_answered(assignment, source_dir, folder, file, read_answers(path), path)


@dataclass(frozen=True)
class Overpaid:
    """A counterexample that earned more than its caps allow."""

    cx: Counterexample
    total: float
    paid: dict[str, float]
    """Each test that gave it points, and how many."""

    def message(self, label: str) -> str:
        over = []
        if self.cx.max_points is not None and self.total > self.cx.max_points + 1e-9:
            over.append(f"{self.total:g} points in all (cap {self.cx.max_points:g})")
        for gid, cap in self.cx.caps.items():
            if self.paid.get(gid, 0.0) > cap + 1e-9:
                over.append(f"{self.paid[gid]:g} on {gid} (cap {cap:g})")
        paid = ", ".join(f"{gid} paid {points:g}" for gid, points in self.paid.items() if points)
        return (
            f"{label}: counterexample {self.cx.name!r} ({self.cx.reason}) earns "
            f"{'; '.join(over)}: {paid}"
        )


def overpaid(cx: Counterexample, scores: dict[str, float], tests: set[str]) -> Overpaid | None:
    """`scores` are grade id -> points of the counterexample's notebook; only autograded
    tests count (`tests`)."""
    paid = {gid: score for gid, score in scores.items() if gid in tests}
    total = sum(paid.values())
    over_total = cx.max_points is not None and total > cx.max_points + 1e-9
    over_test = any(paid.get(gid, 0.0) > cap + 1e-9 for gid, cap in cx.caps.items())
    return Overpaid(cx, total, paid) if over_total or over_test else None
