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


def _config(
    course_dir: Path, course_id: str, assignment_id: str, root: Path, db_url: str
) -> Config:
    config = Config()
    config.Exchange.root = str(root)
    config.CourseDirectory.root = str(course_dir)
    config.CourseDirectory.course_id = course_id
    config.CourseDirectory.assignment_id = assignment_id
    config.CourseDirectory.db_url = db_url
    return config


def _run(kind: type, config: Config, **traits: object) -> object:
    patches.install()
    coursedir = CourseDirectory(config=config)
    exchange = kind(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    for name, value in traits.items():
        setattr(exchange, name, value)
    try:
        return exchange.start()
    except ExchangeError as error:
        raise ExchangeProblem(f"exchange {config.Exchange.root}: {error}") from None


def publish(
    course_dir: Path, course_id: str, assignment_id: str, root: Path, db_url: str, force: bool
) -> Path:
    """Copy the release of an assignment to the exchange's outbound/ for students to fetch."""
    release = course_dir / "release" / assignment_id
    if not release.is_dir():
        raise ExchangeProblem(
            f"{release}: no release to publish; "
            f"run `autograder release {course_id} {assignment_id}`"
        )
    _run(
        ExchangeReleaseAssignment,
        _config(course_dir, course_id, assignment_id, root, db_url),
        force=force,
    )
    return root / course_id / "outbound" / assignment_id


def _owner(path: Path) -> str:
    try:
        return pwd.getpwuid(path.stat().st_uid).pw_name
    except KeyError:
        return f"uid {path.stat().st_uid}"


def _forged(inbound: Path, assignment_id: str) -> list[tuple[str, str]]:
    refused = []
    for folder in sorted(inbound.glob(f"*+{assignment_id}+*")):
        claimed = folder.name.rsplit("+", 3)[0]
        owner = _owner(folder)
        if claimed != owner:
            refused.append((folder.name, f"names {claimed} but was made by {owner}"))
    return refused


def collect(
    course_dir: Path, course_id: str, assignment_id: str, root: Path, db_url: str
) -> Collected:
    """Each student's newest submission into `submitted/<student>/<assignment>/`.

    Earlier submissions stay in the exchange (its history); one a student made under
    another student's name is refused, moved aside and reported."""
    inbound = root / course_id / "inbound"
    if not inbound.is_dir():
        raise ExchangeProblem(
            f"{inbound}: no inbound folder; publish an assignment of {course_id} first"
        )
    refused = _forged(inbound, assignment_id)
    quarantine = root / course_id / "refused"
    for name, _ in refused:
        quarantine.mkdir(mode=0o700, exist_ok=True)
        shutil.move(str(inbound / name), quarantine / name)
    _run(
        ExchangeCollect,
        _config(course_dir, course_id, assignment_id, root, db_url),
        update=True,
        check_owner=False,  # checked above, and refused rather than warned about
    )
    students = {p.name.rsplit("+", 3)[0] for p in inbound.glob(f"*+{assignment_id}+*")}
    return Collected(tuple(sorted(students)), tuple(refused))


def return_feedback(
    course_dir: Path, course_id: str, assignment_id: str, root: Path, db_url: str
) -> tuple[str, ...]:
    """Each graded student's feedback into the exchange, where only they can fetch it."""
    folders = sorted((course_dir / "feedback").glob(f"*/{assignment_id}"))
    if not folders:
        raise ExchangeProblem(
            f"no feedback for {course_id}/{assignment_id}; run "
            f"`autograder feedback {course_id} {assignment_id}` after grading"
        )
    _run(ExchangeReleaseFeedback, _config(course_dir, course_id, assignment_id, root, db_url))
    return tuple(folder.parent.name for folder in folders)
