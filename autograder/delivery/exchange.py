"""nbgrader's exchange, driven for one course: publish, collect and return.

The exchange is a folder every user of the machine (or hub) reaches, one subfolder per
course, with nbgrader's rights: `outbound/` readable by all (the releases),
`inbound/` writable but not listable by students (each submission is a folder named
`<student>+<assignment>+<time>+<random>`, owned by the student who made it),
`feedback/` listable by none, each file named by a hash of the submission it answers.
Students use it from JupyterLab's Assignments tab (nbgrader's own extension); the
teacher side here uses nbgrader's own exchange classes, so both sides agree.

What this module adds to nbgrader's collect: a submission whose folder is not owned
by the student it names is not collected (nbgrader only logs a warning): any student
can write into `inbound/`, so the name alone proves nothing.
"""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from traitlets.config import Config

from autograder.course.errors import AutograderError
from autograder.nbgrader import patches

DEFAULT_ROOT = Path("/srv/nbgrader/exchange")


class ExchangeProblem(AutograderError):
    """The exchange refused an operation; the message says what to do."""


@dataclass(frozen=True)
class Collected:
    students: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]  # (folder in inbound/, why)


def exchange_root(explicit: Path | None) -> Path:
    """--exchange, else $AUTOGRADER_EXCHANGE, else nbgrader's documented place."""
    if explicit is not None:
        return explicit
    env = os.environ.get("AUTOGRADER_EXCHANGE")
    return Path(env) if env else DEFAULT_ROOT


@dataclass(frozen=True)
class Target:
    """One assignment of one course, and the exchange it goes through."""

    course_dir: Path
    course_id: str
    assignment_id: str
    root: Path  # the exchange
    db_url: str

    @property
    def course_path(self) -> Path:
        """The course's folder in the exchange."""
        return self.root / self.course_id

    def config(self) -> Config:
        config = Config()
        config.Exchange.root = str(self.root)
        config.CourseDirectory.root = str(self.course_dir)
        config.CourseDirectory.course_id = self.course_id
        config.CourseDirectory.assignment_id = self.assignment_id
        config.CourseDirectory.db_url = self.db_url
        return config


def _run(kind: type, target: Target, **traits: object) -> object:
    patches.install()
    config = target.config()
    coursedir = CourseDirectory(config=config)
    exchange = kind(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    for name, value in traits.items():
        setattr(exchange, name, value)
    try:
        return exchange.start()
    except ExchangeError as error:
        raise ExchangeProblem(f"exchange {config.Exchange.root}: {error}") from None


def publish(target: Target, force: bool) -> Path:
    """Copy the release of an assignment to the exchange's outbound/ for students to fetch."""
    release = target.course_dir / "release" / target.assignment_id
    if not release.is_dir():
        raise ExchangeProblem(
            f"{release}: no release to publish; "
            f"run `autograder release {target.course_id} {target.assignment_id}`"
        )
    _run(ExchangeReleaseAssignment, target, force=force)
    return target.course_path / "outbound" / target.assignment_id


def _owner(path: Path) -> str:
    try:
        return pwd.getpwuid(path.stat().st_uid).pw_name
    except KeyError:
        return f"uid {path.stat().st_uid}"


def _claimed(folder: Path) -> str:
    """The student a submission folder names (`<student>+<assignment>+<time>+<random>`)."""
    return folder.name.rsplit("+", 3)[0]


def _forged(inbound: Path, assignment_id: str) -> list[tuple[str, str]]:
    refused = []
    for folder in sorted(inbound.glob(f"*+{assignment_id}+*")):
        claimed = _claimed(folder)
        owner = _owner(folder)
        if claimed != owner:
            refused.append((folder.name, f"names {claimed} but was made by {owner}"))
    return refused


def collect(target: Target) -> Collected:
    """Each student's newest submission into `submitted/<student>/<assignment>/`.

    Earlier submissions stay in the exchange (its history); one a student made under
    another student's name is refused, moved aside and reported."""
    inbound = target.course_path / "inbound"
    if not inbound.is_dir():
        raise ExchangeProblem(
            f"{inbound}: no inbound folder; publish an assignment of {target.course_id} first"
        )
    refused = _forged(inbound, target.assignment_id)
    quarantine = target.course_path / "refused"
    for name, _ in refused:
        quarantine.mkdir(mode=0o700, exist_ok=True)
        shutil.move(str(inbound / name), quarantine / name)
    # Ownership is checked above, and refused rather than warned about.
    _run(ExchangeCollect, target, update=True, check_owner=False)
    students = {_claimed(p) for p in inbound.glob(f"*+{target.assignment_id}+*")}
    return Collected(tuple(sorted(students)), tuple(refused))


def return_feedback(target: Target) -> tuple[str, ...]:
    """Each graded student's feedback into the exchange, where only they can fetch it."""
    folders = sorted((target.course_dir / "feedback").glob(f"*/{target.assignment_id}"))
    if not folders:
        course, assignment = target.course_id, target.assignment_id
        raise ExchangeProblem(
            f"no feedback for {course}/{assignment}; run "
            f"`autograder feedback {course} {assignment}` after grading"
        )
    _run(ExchangeReleaseFeedback, target)
    return tuple(folder.parent.name for folder in folders)
