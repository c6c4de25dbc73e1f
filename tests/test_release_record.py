"""The release is made once, by `release` (or `build`), and grading checks it is current.

Grading never makes the release itself: it checks that the gradebook has the
assignment and that the release was made from the source as it is now. The command
line makes a missing or stale release before grading, and says so. The course
folder's nbgrader_config.py is written only by `release` and `build`, never with a
password.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from traitlets.config import Config

from autograder.authoring.release import generate_release
from autograder.course.config import load_course
from autograder.course.errors import AutograderError
from autograder.course.paths import Repo
from autograder.grading import store
from autograder.grading.coordinator import check_release
from autograder.grading.job import GradingContext
from autograder.nbgrader.settings import render_config_file
from tests.conftest import Invoke

SECRET_URL = "postgresql+psycopg://teacher:s3cret-pw@db.example.org/gradebook"


def _context(repo: Path, tmp_path: Path) -> GradingContext:
    course = load_course(Repo(repo), "demo")
    return GradingContext(
        course, course.assignment("a1"), repo / "assignments/demo", f"sqlite:///{tmp_path}/gb.db"
    )


def test_grading_refuses_an_assignment_never_released(repo: Path, tmp_path: Path) -> None:
    ctx = _context(repo, tmp_path)
    with pytest.raises(AutograderError, match="not in the gradebook.*autograder release demo a1"):
        check_release(ctx)


def test_grading_refuses_a_release_older_than_its_source(repo: Path, tmp_path: Path) -> None:
    ctx = _context(repo, tmp_path)
    generate_release(ctx.course, ctx.assignment, ctx.course_root, ctx.db_url)
    check_release(ctx)  # current: accepted
    source = ctx.source_dir / "demo.ipynb"
    source.write_text(source.read_text().replace("add(1, 2) == 3", "add(2, 2) == 4"))
    with pytest.raises(AutograderError, match="changed since its release"):
        check_release(ctx)


def test_grade_makes_a_stale_release_first_and_says_so(repo: Path, cli: Invoke) -> None:
    assert cli("release", "demo", "a1").exit_code == 0
    released = repo / "assignments/demo/release/a1/demo.ipynb"
    source = repo / "assignments/demo/source/a1/demo.ipynb"
    source.write_text(source.read_text().replace("add(1, 2) == 3", "add(2, 2) == 4"))
    submissions = repo / "subs"
    submissions.mkdir()
    (submissions / "alice.ipynb").write_text(released.read_text())
    result = cli("grade", "demo", "a1", str(submissions), "--no-sandbox")
    assert "released demo/a1 first" in result.output, result.output
    assert "add(2, 2) == 4" in released.read_text()


def test_the_generated_config_holds_no_password(repo: Path) -> None:
    course = load_course(Repo(repo), "demo")
    written = render_config_file(course, SECRET_URL, "sqlite:////elsewhere/gradebook.db")
    assert "s3cret-pw" not in written
    config = _load(written, Path("/courses/demo/nbgrader_config.py"), {})
    assert config.CourseDirectory.db_url == "postgresql+psycopg://teacher@db.example.org/gradebook"
    override = _load(written, Path("/x/nbgrader_config.py"), {"AUTOGRADER_DB": "sqlite:///o.db"})
    assert override.CourseDirectory.db_url == "sqlite:///o.db"


def test_the_default_gradebook_is_the_one_beside_the_config(repo: Path, cli: Invoke) -> None:
    """Moved or cloned elsewhere, formgrader still opens the course folder's gradebook."""
    assert cli("release", "demo", "a1").exit_code == 0
    path = repo / "assignments/demo/nbgrader_config.py"
    moved = Path("/srv/moved/demo/nbgrader_config.py")
    config = _load(path.read_text(), moved, {})
    assert config.CourseDirectory.db_url == "sqlite:////srv/moved/demo/gradebook.db"


def test_only_release_and_build_write_the_config(repo: Path, cli: Invoke, tmp_path: Path) -> None:
    """A later command without --db used to point formgrader back at SQLite."""
    chosen = f"sqlite:///{tmp_path}/chosen.db"
    assert cli("release", "demo", "a1", "--db", chosen).exit_code == 0
    path = repo / "assignments/demo/nbgrader_config.py"
    written = path.read_text()
    assert chosen in written
    cli("export", "demo")
    cli("feedback", "demo", "a1")
    assert path.read_text() == written


def test_a_gradebook_from_a_newer_autograder_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gb.db"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE autograder_schema (version INTEGER PRIMARY KEY)"))
        conn.execute(text(f"INSERT INTO autograder_schema VALUES ({store.SCHEMA_VERSION + 1})"))
    with pytest.raises(AutograderError, match="newer autograder"):
        store.load(url, "a1")


def test_a_gradebook_from_before_the_schema_version_is_upgraded(tmp_path: Path) -> None:
    """Version 1 had only autograder_results: the rest is added, and its rows kept."""
    url = f"sqlite:///{tmp_path}/gb.db"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE autograder_results (assignment VARCHAR(128), student VARCHAR(128),"
                " status VARCHAR(32) NOT NULL, score FLOAT NOT NULL, max_score FLOAT NOT NULL,"
                " late_penalty FLOAT NOT NULL, messages TEXT NOT NULL, graded_at DATETIME NOT NULL,"
                " digest VARCHAR(64) NOT NULL, PRIMARY KEY (assignment, student))"
            )
        )
        conn.execute(
            text(
                "INSERT INTO autograder_results VALUES ('a1', 'alice', 'graded', 3, 4, 0, "
                "'[\"kept\"]', '2026-01-01 00:00:00', 'abc')"
            )
        )
    assert store.load(url, "a1")["alice"].messages == ["kept"]
    assert store.schema_version(url) == store.SCHEMA_VERSION
    assert store.release_digest(url, "a1") is None


def _load(source: str, path: Path, env: dict[str, str]) -> Config:
    """Run a generated nbgrader_config.py as nbgrader would, at `path`, with `env`."""
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(path)}
    import os

    saved = dict(os.environ)
    os.environ.pop("AUTOGRADER_DB", None)
    os.environ.update(env)
    try:
        exec(compile(source, str(path), "exec"), namespace)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return config
