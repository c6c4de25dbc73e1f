"""nbgrader settings derived from a course config: one source of truth.

The same settings are used in-process (a traitlets Config handed to nbgrader's
API) and written to `assignments/<course>/nbgrader_config.py`, so a teacher who
runs `nbgrader formgrader` or stock nbgrader commands in the course folder gets
the same course id, gradebook, late policy and timeouts.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder.course.config import Assignment, Course
from autograder.course.paths import Repo
from autograder.nbgrader import db, patches

AUTOGRADE_PREPROCESSORS = [
    "autograder.runtime.execution.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    # No CheckCellMetadata here, unlike stock nbgrader: the sanitize pass has just checked
    # this notebook's metadata and nothing since changes it. Checking twice cost 4% of a
    # submission's grading CPU (jsonschema re-checks the schema on every cell).
]

# nbgrader is not thread-safe: it sets and deletes NBGRADER_EXECUTION in os.environ
# around each run, and its converters move the process's working directory into the
# course folder while they run. Every call into its API from this process holds this
# lock, and so does anything that must see the real working directory (starting a
# worker process, which begins in its parent's directory).
NBGRADER_LOCK = threading.RLock()

_EXCEPTION_LINE = re.compile(r"^\s*[A-Za-z_.]*(Error|Exception|Exit|Interrupt)\b.*:")

FEEDBACK_PREPROCESSORS = [
    "autograder.reporting.feedback.RedactFeedback",
    "nbgrader.preprocessors.GetGrades",
    "autograder.reporting.feedback.NoteManualGrading",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

SANITIZE_PREPROCESSORS = [
    "nbgrader.preprocessors.ClearOutput",
    "autograder.nbgrader.repair.RepairStructure",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def course_settings(course: Course, db_url: str) -> dict[str, dict[str, object]]:
    """Plain settings, shared by the in-process Config and the generated config file."""
    policies = {
        a.id: a.late_policy.model_dump() for a in course.assignments if a.late_policy is not None
    }
    longest_cell = max((a.limits.cell_timeout for a in course.assignments), default=60)
    return {
        "CourseDirectory": {"course_id": course.id, "db_url": db_url},
        "AssignLatePenalties": {"plugin_class": "autograder.nbgrader.late.CoursePolicyPenalty"},
        "CoursePolicyPenalty": {"policies": policies},
        # Courses are Python: the kernel is ours to choose, not the submitted notebook's.
        "Execute": {
            "timeout": longest_cell,
            "interrupt_on_timeout": True,
            "kernel_name": "python3",
        },
        "ClearSolutions": {"enforce_metadata": True},
        # nbconvert validates the whole notebook after each of the dozen preprocessors of a
        # pass; once, after the last, catches the same damage (measured: 26 validations
        # per graded submission, 13 ms of a worker's CPU).
        "Exporter": {"optimistic_validation": True},
        "GenerateFeedback": {"preprocessors": FEEDBACK_PREPROCESSORS},
    }


def make_config(
    course: Course,
    course_root: Path,
    db_url: str,
    assignment: Assignment | None = None,
) -> Config:
    config = Config()
    for section, values in course_settings(course, db_url).items():
        for key, value in values.items():
            setattr(config[section], key, value)
    config.CourseDirectory.root = str(course_root)
    config.Autograde.sanitize_preprocessors = SANITIZE_PREPROCESSORS
    config.Autograde.autograde_preprocessors = AUTOGRADE_PREPROCESSORS
    config.RepairStructure.source_root = str(course_root / "source")
    if assignment is not None:
        config.Execute.timeout = assignment.limits.cell_timeout
        config.BudgetedExecute.notebook_timeout = assignment.limits.notebook_timeout
    return config


def make_api(
    course: Course,
    course_root: Path,
    db_url: str,
    assignment: Assignment | None = None,
) -> NbGraderAPI:
    patches.install()
    config = make_config(course, course_root, db_url, assignment)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def render_config_file(course: Course, db_url: str, default_db_url: str | None = None) -> str:
    """The course folder's nbgrader_config.py. It never holds a password: the gradebook URL
    is $AUTOGRADER_DB when set, else `db_url` without its password (PostgreSQL then reads
    ~/.pgpass or PGPASSWORD), or, for the default SQLite gradebook, the file beside it."""
    if db_url == default_db_url:
        where = "'sqlite:///' + os.path.join(c.CourseDirectory.root, 'gradebook.db')"
    else:
        where = repr(db.without_password(db_url))
    lines = [
        f"# Generated by `autograder` from course_configs/{course.id}.yml: do not edit by hand.",
        "# nbgrader's own tools (formgrader, nbgrader autograde) read it in this folder.",
        "c = get_config()  # noqa: F821",
        "import os",
        "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))",
        "c.RepairStructure.source_root = os.path.join(c.CourseDirectory.root, 'source')",
    ]
    for section, values in course_settings(course, db_url).items():
        for key, value in values.items():
            if (section, key) != ("CourseDirectory", "db_url"):
                lines.append(f"c.{section}.{key} = {value!r}")
    lines.append(f"c.CourseDirectory.db_url = os.environ.get('AUTOGRADER_DB') or {where}")
    lines.append(f"c.Autograde.sanitize_preprocessors = {SANITIZE_PREPROCESSORS!r}")
    lines.append(f"c.Autograde.autograde_preprocessors = {AUTOGRADE_PREPROCESSORS!r}")
    return "\n".join(lines) + "\n"


def write_config_file(repo: Repo, course: Course, db_url: str) -> Path:
    path = repo.course_dir(course.id) / "nbgrader_config.py"
    text = render_config_file(course, db_url, repo.default_db_url(course.id))
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def nbgrader_problem(outcome: dict) -> str:
    """The useful part of a failed nbgrader API call: its logged errors, else the exception."""
    log = outcome.get("log") or ""
    causes = [line.strip() for line in log.splitlines() if _EXCEPTION_LINE.match(line)]
    if causes:
        return causes[-1][:500]
    errors = [line for line in log.splitlines() if line.startswith(("[ERROR]", "[CRITICAL]"))]
    if errors:
        return "\n".join(errors[-5:])
    error = (outcome.get("error") or log or "unknown error").strip()
    return error.splitlines()[-1][:500]
