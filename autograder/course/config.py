"""Course configuration: the one place `course_configs/*.yml` is read and validated.

Everything downstream (book table of contents, nbgrader settings, grading limits,
validation) is derived from the typed objects returned here, so a mistake in a
YAML file is reported once, at the edge, with the file, the key and the problem.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from autograder.course.errors import ConfigError
from autograder.course.paths import Repo

COURSE_IDS = ("ml1", "mr", "rl1", "ai-intro")
_ID = r"^[a-z0-9][a-z0-9-]*$"
_GRADE_ID = r"^[A-Za-z0-9_-]+$"


class _Strict(BaseModel):
    """Unknown keys are errors: a typo like `point:` must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Titles(_Strict):
    en: Annotated[str, Field(min_length=1)]
    sv: Annotated[str, Field(min_length=1)]


class Limits(_Strict):
    """Execution limits for grading one submission (see the grading engine).

    `disk_mb` bounds everything a kernel can write (its working folder, which starts with
    the assignment's files, /tmp, its home and /dev/shm) together: they live on one
    size-limited tmpfs per grading worker, held in the grading machine's memory while used.
    """

    cell_timeout: Annotated[int, Field(gt=0, le=3600)] = 60
    notebook_timeout: Annotated[int, Field(gt=0, le=4 * 3600)] = 600
    memory_mb: Annotated[int, Field(ge=256, le=16384)] = 2048
    cpu_seconds: Annotated[int, Field(gt=0, le=4 * 3600)] = 900
    max_processes: Annotated[int, Field(ge=8, le=4096)] = 256
    max_output_kb: Annotated[int, Field(ge=16, le=65536)] = 2048
    disk_mb: Annotated[int, Field(ge=16, le=65536)] = 1024

    @model_validator(mode="after")
    def _cell_within_notebook(self) -> Limits:
        if self.cell_timeout > self.notebook_timeout:
            raise ValueError(
                f"cell_timeout ({self.cell_timeout} s) is longer than "
                f"notebook_timeout ({self.notebook_timeout} s)"
            )
        return self


class LatePolicy(_Strict):
    """Score deduction for late work, as a share of the score the submission earned.

    `penalty_per_day` of the earned score is deducted for each started day after the
    due date; past `max_days_late` days the submission scores zero. Never below zero.
    """

    penalty_per_day: Annotated[float, Field(ge=0, le=1)] = 0.0
    max_days_late: Annotated[int, Field(ge=0, le=365)] | None = None


_Points = dict[Annotated[str, Field(pattern=_GRADE_ID)], Annotated[float, Field(gt=0)]]


class NotebookSpec(_Strict):
    """One notebook of an assignment and what each of its graded cells is worth.

    `points` are the autograded test cells; `manual` the cells a person grades in
    formgrader: manually graded answers (nbgrader `solution` and `grade`, e.g. a written
    explanation) and tasks (`task`). They are kept apart because they behave apart: a
    manual cell has no score until someone enters it, so `validate` must not expect the
    solution to earn it, and grades must say when a score is still waiting for a person.
    """

    file: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+\.ipynb$")]
    points: _Points = {}
    manual: _Points = {}

    @model_validator(mode="after")
    def _graded_cells(self) -> NotebookSpec:
        if not self.points and not self.manual:
            raise ValueError("lists no graded cells: give each grade id its points")
        both = sorted(set(self.points) & set(self.manual))
        if both:
            raise ValueError(
                f"{', '.join(both)} listed under both points: (autograded tests) and "
                "manual: (graded by a person); keep each grade id in one of them"
            )
        return self

    @property
    def max_score(self) -> float:
        return float(sum(self.points.values()) + sum(self.manual.values()))

    @property
    def stem(self) -> str:
        return Path(self.file).stem


_DOTTED = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
"""A module ("math", "sklearn.naive_bayes") or a module's attribute ("cv2.findHomography")."""


class Counterexample(_Strict):
    """A wrong or shortcut answer, kept by the teacher, that the tests must not pay for.

    Its code is `assignments/<course>/counterexamples/<assignment>/<name>.py`: one section
    per answer cell it replaces, each headed `# %% <grade id>`; the answer cells it does
    not name keep the teacher's solution, so a counterexample shows what one shortcut
    earns. `validate` grades it through the real grading path and fails when it earns
    more than `max_points` in all, or more than `caps[test]` on a test.
    """

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    reason: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\n]+$")]
    """Why this answer must not earn the points: one line, shown when it does."""
    notebook: str | None = None
    """The notebook it answers (default: the assignment's only notebook)."""
    max_points: Annotated[float, Field(ge=0)] | None = None
    caps: dict[Annotated[str, Field(pattern=_GRADE_ID)], Annotated[float, Field(ge=0)]] = {}

    @model_validator(mode="after")
    def _capped(self) -> Counterexample:
        if self.max_points is None and not self.caps:
            raise ValueError(
                f"counterexample {self.name!r} has no cap: give max_points (all its tests) "
                "or caps (per test)"
            )
        return self


class EquivalentMutant(_Strict):
    """A surviving mutant the teacher has read and found to behave as the solution does
    (authoring/mutants.py), so no test could refuse it: left out of the mutation score."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+/[a-z-]+-[0-9a-f]{8}(-[0-9]+)?$")]
    """As `autograder audit` prints it, e.g. `q_learning/constant-1a2b3c4d`."""
    reason: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\n]+$")]


class Assignment(_Strict):
    id: Annotated[str, Field(pattern=_ID)]
    title: Annotated[str, Field(min_length=1)]
    notebooks: Annotated[list[NotebookSpec], Field(min_length=1)]
    due: dt.datetime | None = None
    late_policy: LatePolicy | None = None
    limits: Limits = Limits()
    files: list[str] = []
    """Extra files shipped with the release (data, helpers), relative to the source folder."""
    counterexamples: list[Counterexample] = []
    forbidden: list[Annotated[str, Field(pattern=_DOTTED)]] = []
    """Modules ("sklearn.naive_bayes") and module attributes ("cv2.findHomography") the
    student's code may not use: in the student's kernel they raise ForbiddenError however
    they are reached (runtime/forbidden_kernel.py), and a use in an answer's source is
    reported (course/forbidden.py). The tests, in their own kernel, keep them."""
    grade_at_deadline: bool = True
    """Whether the hub's deadline service collects, grades and returns this assignment by
    itself once its due date and late window have passed (delivery/deadlines.py)."""
    mutation_score: Annotated[float, Field(ge=0, le=1)] | None = None
    """The least share of the solution's mutants the tests must refuse (authoring/audit.py):
    `validate --mutants` fails below it."""
    mutants: Annotated[int, Field(ge=1, le=500)] = 30
    """How many mutants to grade: a seeded sample, the same on every run."""
    equivalent_mutants: list[EquivalentMutant] = []

    @field_validator("due")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2027-03-01T23:59:00+01:00")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Assignment:
        names = [nb.file for nb in self.notebooks]
        if len(set(names)) != len(names):
            raise ValueError(f"notebook listed twice: {sorted(names)}")
        if self.late_policy is not None and self.due is None:
            raise ValueError("late_policy is set but there is no due date")
        cx_names = [cx.name for cx in self.counterexamples]
        if len(set(cx_names)) != len(cx_names):
            raise ValueError(f"counterexample listed twice: {sorted(cx_names)}")
        for cx in self.counterexamples:
            if cx.notebook is None and len(self.notebooks) > 1:
                raise ValueError(f"counterexample {cx.name!r}: say which notebook it answers")
            spec = self.notebooks[0] if cx.notebook is None else None
            for candidate in self.notebooks:
                if candidate.file == cx.notebook:
                    spec = candidate
            if spec is None:
                raise ValueError(f"counterexample {cx.name!r}: no notebook {cx.notebook!r}")
            unknown = sorted(set(cx.caps) - set(spec.points))
            if unknown:
                raise ValueError(
                    f"counterexample {cx.name!r}: caps name {', '.join(unknown)}, which are "
                    f"not autograded tests of {spec.file}"
                )
        return self

    def counterexample_notebook(self, cx: Counterexample) -> NotebookSpec:
        return next(nb for nb in self.notebooks if cx.notebook in (None, nb.file))

    @property
    def max_score(self) -> float:
        return float(sum(nb.max_score for nb in self.notebooks))

    def notebook(self, stem: str) -> NotebookSpec:
        for nb in self.notebooks:
            if nb.stem == stem:
                return nb
        raise KeyError(stem)


class HubSettings(_Strict):
    """What one user's server on the hub may use, all its processes together (a user in
    several courses gets the largest of their courses' settings)."""

    memory_mb: Annotated[int, Field(ge=256, le=65536)] = 2048
    cpus: Annotated[float, Field(gt=0, le=64)] = 1.0


# A system user name: what `roster import` makes of a login (useradd's rules).
USERNAME = r"^[a-z][a-z0-9._-]{0,31}$"


class Course(_Strict):
    id: Annotated[str, Field(pattern=_ID)]
    title: Titles
    description: Annotated[str, Field(min_length=1)]
    lecture_timeout: Annotated[int, Field(gt=0, le=600)] = 60
    lectures: Annotated[list[str], Field(min_length=1)]
    assignments: list[Assignment] = []
    # The hub's admins for this course (they can also sign in); students come from the roster.
    teachers: list[Annotated[str, Field(pattern=USERNAME)]] = []
    hub: HubSettings = HubSettings()

    @field_validator("lectures")
    @classmethod
    def _lecture_paths(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(r"[A-Za-z0-9_./-]+\.(md|ipynb)", item) or ".." in item:
                raise ValueError(f"{item!r} is not a .md or .ipynb path inside book/")
        if len(set(value)) != len(value):
            raise ValueError("a lecture is listed twice")
        return value

    @model_validator(mode="after")
    def _unique_assignments(self) -> Course:
        ids = [a.id for a in self.assignments]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"assignment id used twice: {', '.join(dupes)}")
        return self

    def assignment(self, assignment_id: str) -> Assignment:
        for item in self.assignments:
            if item.id == assignment_id:
                return item
        known = ", ".join(a.id for a in self.assignments) or "none"
        raise ConfigError(
            f"course {self.id!r} has no assignment {assignment_id!r} (known: {known})"
        )


def _format_location(loc: Iterable[int | str], raw: object) -> str:
    """Turn pydantic's location tuple into `assignments[0](a1-x).notebooks[0].points`."""
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label += f"(id={node['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def parse_course(path: Path, repo: Repo) -> Course:
    """Read, validate and cross-check one course file; raise ConfigError naming the key."""
    rel = repo.rel(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{rel}: file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{rel}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{rel}: expected a mapping of keys (id, title, ...) at the top level")
    try:
        course = Course.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{rel}: {_format_location(err['loc'], raw)}: {message}")
        raise ConfigError("\n".join(lines)) from None
    if course.id != path.stem:
        raise ConfigError(f"{rel}: id: {course.id!r} does not match the file name {path.stem!r}")
    _check_files(course, rel, repo)
    return course


def _check_files(course: Course, rel: str, repo: Repo) -> None:
    problems: list[str] = []
    for i, lecture in enumerate(course.lectures):
        if not (repo.book / lecture).is_file():
            problems.append(f"{rel}: lectures[{i}]: book/{lecture} does not exist")
    for i, assignment in enumerate(course.assignments):
        source = repo.source_dir(course.id, assignment.id)
        for j, nb in enumerate(assignment.notebooks):
            if not (source / nb.file).is_file():
                problems.append(
                    f"{rel}: assignments[{i}](id={assignment.id}).notebooks[{j}].file: "
                    f"{repo.rel(source / nb.file)} does not exist"
                )
        for j, name in enumerate(assignment.files):
            if not (source / name).is_file():
                problems.append(
                    f"{rel}: assignments[{i}](id={assignment.id}).files[{j}]: "
                    f"{repo.rel(source / name)} does not exist"
                )
    if problems:
        raise ConfigError("\n".join(problems))


def load_course(repo: Repo, course_id: str) -> Course:
    path = repo.course_config(course_id)
    if not path.is_file():
        known = ", ".join(p.stem for p in repo.course_config_files()) or "none"
        raise ConfigError(f"unknown course {course_id!r}: no {repo.rel(path)} (known: {known})")
    return parse_course(path, repo)


def load_all(repo: Repo) -> list[Course]:
    """Load every course; collect all problems before failing so a teacher fixes them in one go."""
    courses: list[Course] = []
    problems: list[str] = []
    files = repo.course_config_files()
    if not files:
        raise ConfigError(f"{repo.rel(repo.configs)}: no course files (*.yml)")
    for path in files:
        try:
            courses.append(parse_course(path, repo))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    order = {cid: i for i, cid in enumerate(COURSE_IDS)}
    return sorted(courses, key=lambda c: (order.get(c.id, len(order)), c.id))
