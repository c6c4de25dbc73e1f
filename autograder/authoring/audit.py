"""Mutation analysis: how much of the solution the tests can tell from a near miss.

The solution earning full marks and the blank release zero says nothing about the
answers in between. Each mutant (authoring/mutants.py) is graded as a submission
through the real grading path, on the grading workers' warm kernels, beside the
solution; a mutant a test pays less than full is *killed* by that test, one that
earns full marks *survives*. The mutation score is the share killed.

Survivors are the teacher's reading list: each is a wrong answer the tests accept,
or a change that does not change behaviour (an equivalent mutant). The second kind
cannot be refused by any test; the teacher acknowledges it in the course config
(`equivalent_mutants:`, with a reason) and it leaves the score.
"""

from __future__ import annotations

import ast
import math
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from autograder.authoring import counterexamples
from autograder.authoring.mutants import Mutant, notebook_mutants, sample
from autograder.course.cells import CellKind, kind_of
from autograder.course.config import Assignment, Course
from autograder.course.notebooks import nbgrader_meta
from autograder.grading import store
from autograder.grading.collect import Submission

KILLED, TIMEOUT, SURVIVED, NOT_GRADED = (
    "killed",
    "killed by the time limit",
    "survived",
    "not graded",
)

TIME_FACTOR = 2
"""A mutant may take this many times the solution's grading time (at least MIN_SECONDS
per cell, never more than the assignment's own limits): a mutant that loops forever is
stopped there and counts as killed by the time limit."""
MIN_SECONDS = 10


def student_id(index: int) -> str:
    return f"mutant-{index:03d}"


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    verdict: str
    killed_by: tuple[str, ...] = ()
    """The tests that paid it less than full."""
    acknowledged: str | None = None
    """The teacher's reason, when the config lists it as equivalent."""
    looks_equivalent: str | None = None
    """Why a survivor may behave exactly as the solution does (a guess, for the teacher)."""
    why_not_graded: str = ""

    @property
    def killed(self) -> bool:
        return self.verdict in (KILLED, TIMEOUT)

    def describe(self) -> str:
        """The mutant, its change and the guess, then its diff: how a survivor is shown."""
        guess = f" (looks equivalent: {self.looks_equivalent})" if self.looks_equivalent else ""
        diff = "\n".join(f"      {line}" for line in self.mutant.diff().splitlines())
        return f"{self.mutant.id}: {self.mutant.what}, line {self.mutant.line}{guess}\n{diff}"


@dataclass(frozen=True)
class TestStrength:
    grade_id: str
    killed: int
    reach: int
    """Mutants in the answer cells this test uses, directly or through other cells."""

    @property
    def score(self) -> float:
        return self.killed / self.reach if self.reach else 1.0


@dataclass(frozen=True)
class CounterexampleScore:
    """What one of the teacher's counterexamples earned, beside its caps."""

    name: str
    reason: str
    earned: float
    cap: str
    held: bool


@dataclass
class MutationReport:
    course_id: str
    assignment_id: str
    generated: int
    """Mutants the solution has; `outcomes` holds the sample graded."""
    outcomes: list[Outcome]
    tests: list[TestStrength]
    floor: float | None
    seconds: float = 0.0
    stale: list[str] = field(default_factory=list)
    """Acknowledged ids the config lists that no mutant has any more."""
    counterexamples: list[CounterexampleScore] = field(default_factory=list)

    @property
    def counted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict != NOT_GRADED and not o.acknowledged]

    @property
    def score(self) -> float:
        counted = self.counted
        return sum(o.killed for o in counted) / len(counted) if counted else 1.0

    @property
    def survivors(self) -> list[Outcome]:
        return [o for o in self.counted if not o.killed]

    @property
    def per_second(self) -> float:
        return len(self.outcomes) / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        timeouts = sum(o.verdict == TIMEOUT for o in self.outcomes)
        acknowledged = sum(bool(o.acknowledged) for o in self.outcomes)
        floor = f" (floor {self.floor:.2f})" if self.floor is not None else " (no floor set)"
        return (
            f"mutation score {self.score:.2f}{floor}: {len(self.counted) - len(self.survivors)}"
            f" of {len(self.counted)} mutants refused ({timeouts} by the time limit), "
            f"{acknowledged} acknowledged as equivalent; {len(self.outcomes)} graded of "
            f"{self.generated} in {self.seconds:.1f} s ({self.per_second:.2f} mutants/s)"
        )

    def problems(self, label: str) -> list[str]:
        found = [
            f"{label}: mutant {o.mutant.id} was not graded: {o.why_not_graded}"
            for o in self.outcomes
            if o.verdict == NOT_GRADED
        ]
        found += [
            f"{label}: equivalent_mutants lists {gid!r}, which is not a mutant of the solution "
            "any more: remove it"
            for gid in self.stale
        ]
        if self.floor is not None and self.score < self.floor - 1e-9:
            found.append(
                f"{label}: mutation score {self.score:.2f} is below the floor {self.floor:.2f}; "
                "surviving mutants (the tests pay them in full):"
            )
            found += [f"  {o.describe()}" for o in self.survivors]
        return found

    def to_json(self) -> dict[str, object]:
        return {
            "course": self.course_id,
            "assignment": self.assignment_id,
            "score": self.score,
            "floor": self.floor,
            "generated": self.generated,
            "seconds": self.seconds,
            "tests": [asdict(t) | {"score": t.score} for t in self.tests],
            "counterexamples": [asdict(c) for c in self.counterexamples],
            "mutants": [
                {
                    "id": o.mutant.id,
                    "operator": o.mutant.operator,
                    "what": o.mutant.what,
                    "verdict": o.verdict,
                    "killed_by": list(o.killed_by),
                    "why_not_graded": o.why_not_graded,
                    "acknowledged": o.acknowledged,
                    "looks_equivalent": o.looks_equivalent,
                    "diff": o.mutant.diff(),
                }
                for o in self.outcomes
            ],
        }


# --- which answer cells each test uses -----------------------------------------------


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names the cell defines at top level, names it reads anywhere)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(), set()
    defined, read = set(), set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    defined.add(sub.id)
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            read.add(sub.id)
    return defined, read


def reach(notebook: nbformat.NotebookNode) -> dict[str, set[str]]:
    """test grade id -> the answer cells it uses: those defining a name it reads, and,
    through the names they read in turn, every cell they use (the teacher's helpers
    that call the student's functions included)."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            kind = kind_of(cell)
            gid = str(nbgrader_meta(cell).get("grade_id", "")) or None
            defined, read = _names(cell.source)
            cells.append((gid, kind, defined, read))
    definers: dict[str, list[int]] = {}
    for index, (_, _, defined, _) in enumerate(cells):
        for name in defined:
            definers.setdefault(name, []).append(index)
    found = {}
    for index, (gid, kind, _, _) in enumerate(cells):
        if kind is not CellKind.TEST or gid is None:
            continue
        seen, todo = {index}, [index]
        while todo:
            for name in cells[todo.pop()][3]:
                for other in definers.get(name, []):
                    if other not in seen:
                        seen.add(other)
                        todo.append(other)
        found[gid] = {
            str(cells[i][0]) for i in seen if cells[i][1] is CellKind.ANSWER and cells[i][0]
        }
    return found


# --- survivors that may not be wrong at all ---------------------------------------------

_OUTPUT_CALL = re.compile(r"^\s*(print|display|plt\.|ax\.|fig\.|logging\.|logger\.|warnings\.)")
_SEED = re.compile(r"(seed|random_state)\s*=\s*-?\d+", re.IGNORECASE)


def looks_equivalent(mutant: Mutant) -> str | None:
    """A guess at why a survivor may behave exactly as the solution (for the teacher to
    confirm and acknowledge, never counted on its own)."""
    removed = [
        line[1:] for line in mutant.diff().splitlines() if line.startswith("-") and line[1:2] != "-"
    ]
    if mutant.operator == "remove" and removed and all(_OUTPUT_CALL.match(r) for r in removed):
        return "it only removes output (print, plot or log)"
    if (
        mutant.operator == "remove"
        and removed
        and all(r.strip().startswith("assert") for r in removed)
    ):
        return "it only removes a check of the solution's own"
    added = [
        line[1:] for line in mutant.diff().splitlines() if line.startswith("+") and line[1:2] != "+"
    ]
    seeds = (
        [m.group(0) for r in removed for m in _SEED.finditer(r)],
        [m.group(0) for r in added for m in _SEED.finditer(r)],
    )
    if mutant.operator == "constant" and seeds[0] and seeds[0] != seeds[1]:
        return "it changes a random seed"
    if mutant.operator == "constant":
        small = re.fullmatch(r"`(-?[0-9.e+-]+)` -> `.*`", mutant.what)
        if small:
            try:
                value = float(small.group(1))
            except ValueError:
                value = math.nan
            if 0 < abs(value) < 1e-3:
                return "it changes a tolerance"
    if mutant.operator == "compare" and any(s in mutant.what for s in ("`<`", "`>`")):
        return "a boundary (< against <=) that real data may never meet with equality"
    return None


# --- grading ---------------------------------------------------------------------------


def mutants_of(source_dir: Path, assignment: Assignment) -> list[Mutant]:
    """Every mutant of the assignment's solution notebooks."""
    every: list[Mutant] = []
    for spec in assignment.notebooks:
        every += notebook_mutants(spec.file, nbformat.read(source_dir / spec.file, as_version=4))
    return every


def write_submissions(
    assignment: Assignment, source_dir: Path, folder: Path, mutants: list[Mutant]
) -> list[Submission]:
    """Each mutant as a submission: its notebook with the changed cell, every other
    notebook of the assignment as the teacher's solution."""
    subs = []
    for index, mutant in enumerate(mutants):
        where = folder / student_id(index)
        answers = {mutant.grade_id: mutant.after}
        files = counterexamples.write_answered(
            assignment, source_dir, where, mutant.notebook, answers, where / mutant.notebook
        )
        subs.append(Submission(student_id(index), where, files))
    return subs


def time_limited(assignment: Assignment, solution_seconds: float) -> Assignment:
    """The assignment with limits a mutant may take: TIME_FACTOR times the solution."""
    allowed = max(MIN_SECONDS, math.ceil(TIME_FACTOR * solution_seconds))
    limits = assignment.limits.model_copy(
        update={
            "cell_timeout": min(assignment.limits.cell_timeout, allowed),
            "notebook_timeout": min(assignment.limits.notebook_timeout, allowed + MIN_SECONDS),
        }
    )
    return assignment.model_copy(update={"limits": limits})


def outcomes(
    assignment: Assignment,
    mutants: list[Mutant],
    results: dict[str, store.StudentResult],
    tests: dict[str, list[store.TestResult]],
) -> list[Outcome]:
    acknowledged = {e.id: e.reason for e in assignment.equivalent_mutants}
    found = []
    for index, mutant in enumerate(mutants):
        sid = student_id(index)
        result = results.get(sid)
        if result is None or result.status not in (store.GRADED, store.TAMPER):
            why = "; ".join(result.messages) if result else "no result"
            found.append(Outcome(mutant, NOT_GRADED, why_not_graded=why))
            continue
        graded = [t for t in tests.get(sid, []) if t.kind is CellKind.TEST]
        short = tuple(t.grade_id for t in graded if (t.points or 0.0) < t.max_points - 1e-9)
        timed_out = any(t.status is store.TestStatus.TIMEOUT for t in graded)
        verdict = TIMEOUT if timed_out else KILLED if short else SURVIVED
        reason = acknowledged.get(mutant.id)
        guess = looks_equivalent(mutant) if verdict == SURVIVED else None
        found.append(Outcome(mutant, verdict, short, reason, guess))
    return found


def strengths(source_dir: Path, assignment: Assignment, found: list[Outcome]) -> list[TestStrength]:
    """Per test: of the graded mutants in the answer cells it uses, how many it refused."""
    result = []
    for spec in assignment.notebooks:
        uses = reach(nbformat.read(source_dir / spec.file, as_version=4))
        for gid in spec.points:
            relevant = [
                o
                for o in found
                if o.verdict != NOT_GRADED
                and not o.acknowledged
                and o.mutant.notebook == spec.file
                and o.mutant.grade_id in uses.get(gid, set())
            ]
            killed = sum(gid in o.killed_by for o in relevant)
            result.append(TestStrength(gid, killed, len(relevant)))
    return result


def analyse(
    course: Course,
    assignment: Assignment,
    source_dir: Path,
    grade: Callable[[list[Submission]], dict[str, store.StudentResult]],
    db_url: str,
    folder: Path,
) -> MutationReport:
    """Grade a seeded sample of the solution's mutants with `grade` (the caller's grading
    path, recording in `db_url`) and read the verdicts from the gradebook."""
    start = time.monotonic()
    every = mutants_of(source_dir, assignment)
    chosen = sample(every, assignment.mutants, seed=f"{course.id}/{assignment.id}")
    results = grade(write_submissions(assignment, source_dir, folder, chosen))
    found = outcomes(assignment, chosen, results, store.load_tests(db_url, assignment.id))
    ids = {m.id for m in every}
    return MutationReport(
        course.id,
        assignment.id,
        len(every),
        found,
        strengths(source_dir, assignment, found),
        assignment.mutation_score,
        time.monotonic() - start,
        [e.id for e in assignment.equivalent_mutants if e.id not in ids],
    )
