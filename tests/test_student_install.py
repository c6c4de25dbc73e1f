"""A student installs only the student part (issue 22): the wheel, without extras.

pyproject.toml's `dependencies` are what `autograder check` and the course notebooks need
(nbgrader included, for JupyterLab's Assignments tab and Validate button); the `teacher`
extra holds the book, Dask, the PostgreSQL driver and the hub. These tests read the
dependency tree from the installed distributions, run the command as if only the student
part were installed, and build the wheel a teacher publishes for students.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autograder.cli.app import _teacher_part_missing
from tests.conftest import Invoke
from tests.factory import answered

if sys.version_info >= (3, 11):
    import tomllib
else:  # JupyterLab brings tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME = canonicalize_name(PROJECT["name"])

#: What issue 22 says a student install must not need (distributions).
TEACHER_ONLY = {
    "jupyter-book", "sphinx", "dask", "distributed", "psycopg", "psycopg-binary", "jupyterhub",
    "playwright", "jupytext",
}  # fmt: skip
#: ... and their top-level modules, which `autograder check` must never import.
TEACHER_MODULES = {
    "jupyter_book", "myst_nb", "sphinx", "dask", "distributed", "psycopg", "jupyterhub",
    "playwright", "jupytext",
}  # fmt: skip
INSTALL_LINE = 'pip install "ai-course-autograder[teacher]"'
ANSWERS = {
    "add": "def add(a, b):\n    return a + b",
    "mul": "def mul(a, b):\n    return a * b",
}


def closure(requirements: Iterable[str]) -> set[str]:
    """Every distribution the requirements install, by canonical name: this project's own
    lists come from pyproject.toml (so an edit counts before it is reinstalled), the
    others' from their installed metadata (Requires-Dist), markers evaluated here."""
    queue = [(Requirement(text), "") for text in requirements]
    seen: set[tuple[str, str]] = set()
    while queue:
        requirement, parent_extra = queue.pop()
        marker = requirement.marker
        if marker is not None and not marker.evaluate({"extra": parent_extra}):
            continue
        name = canonicalize_name(requirement.name)
        for extra in ["", *sorted(requirement.extras)]:
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            if name == NAME:
                own = PROJECT["optional-dependencies"][extra] if extra else PROJECT["dependencies"]
                queue += [(Requirement(text), "") for text in own]
                continue
            try:
                requires = metadata.distribution(name).requires or []
            except metadata.PackageNotFoundError:
                pytest.fail(
                    f"{name} (needed by the project) is not installed: pip install -e .[test]"
                )
            queue += [(Requirement(text), extra) for text in requires]
    return {name for name, _ in seen}


STUDENT = closure(PROJECT["dependencies"]) | {NAME}


def test_a_student_install_needs_no_teacher_package() -> None:
    assert not STUDENT & TEACHER_ONLY, sorted(STUDENT & TEACHER_ONLY)
    # what a student does need, so an empty closure cannot pass
    assert {"nbgrader", "jupyterlab", "nbclient", "scikit-learn", "gymnasium"}.issubset(STUDENT)


def test_the_teacher_and_test_extras_bring_the_rest() -> None:
    teacher = closure([f"{NAME}[teacher]"])
    assert (TEACHER_ONLY - {"playwright"}).issubset(teacher)
    assert STUDENT.issubset(teacher)
    # tests/run.sh installs ".[test]": it must still install everything.
    assert (teacher | {"playwright", "pytest", "requests"}).issubset(closure([f"{NAME}[test]"]))


# Run as `python -c PRELUDE ARGS...`: the `autograder` command in an interpreter where
# every module and distribution outside the student part is absent, as on a student's
# machine. One finder replaces the others and asks them in turn, except for absent
# modules: for those it finds nothing, so `import` raises ModuleNotFoundError and
# importlib.util.find_spec (nbconvert probes playwright with it) returns None.
PRELUDE = """
import importlib.metadata, json, os, re, sys

absent = json.loads(os.environ["STUDENT_INSTALL_ABSENT"])
modules, dists = set(absent["modules"]), set(absent["dists"])


class StudentInstall(importlib.metadata.DistributionFinder):
    def __init__(self, finders):
        self.finders = finders

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in modules:
            return None
        for finder in self.finders:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find else None
            if spec is not None:
                return spec
        return None

    def find_distributions(self, context=importlib.metadata.DistributionFinder.Context()):
        for finder in self.finders:
            find = getattr(finder, "find_distributions", None)
            for dist in find(context) if find else ():
                name = re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower()
                if name not in dists:
                    yield dist

    def invalidate_caches(self):
        for finder in self.finders:
            if hasattr(finder, "invalidate_caches"):
                finder.invalidate_caches()


sys.meta_path[:] = [StudentInstall(sys.meta_path[:])]
sys.argv[0] = "autograder"
from autograder.cli import run

run()
"""


def _absent() -> dict[str, list[str]]:
    """The installed modules and distributions a student-only install would not have."""
    owners = metadata.packages_distributions()
    modules = {
        module
        for module, dists in owners.items()
        if not any(canonicalize_name(d) in STUDENT for d in dists)
    }
    installed = {canonicalize_name(d.metadata["Name"] or "") for d in metadata.distributions()}
    assert TEACHER_MODULES.issubset(modules), "the simulated student install would still have them"
    return {"modules": sorted(modules), "dists": sorted(installed - STUDENT)}


def as_student(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"STUDENT_INSTALL_ABSENT": json.dumps(_absent()), "COLUMNS": "250"}
    return subprocess.run(
        [sys.executable, "-c", PRELUDE, *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_runs_without_the_teacher_part(repo: Path, cli: Invoke, tmp_path: Path) -> None:
    assert cli("release", "demo", "a1").exit_code == 0
    release = nbformat.read(repo / "assignments/demo/release/a1/demo.ipynb", as_version=4)
    student = tmp_path / "student"
    student.mkdir()
    nbformat.write(answered(release, ANSWERS), student / "demo.ipynb")

    result = as_student("check", "demo.ipynb", cwd=student)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS test_mul (3 points)" in result.stdout
    assert "2 of 2 visible tests pass" in result.stdout

    helped = as_student("--help", cwd=student)
    assert helped.returncode == 0, helped.stderr
    assert "check" in helped.stdout


def test_a_teacher_command_names_the_missing_part(repo: Path, tmp_path: Path) -> None:
    """jupyter-book runs as a program (build checks first); the PostgreSQL driver is
    imported by SQLAlchemy deep inside `export`: one message for both."""
    built = as_student("--root", str(repo), "build", cwd=tmp_path)
    assert built.returncode == 2, built.stdout + built.stderr
    assert "`autograder build` needs the teacher part" in built.stderr
    assert "jupyter-book is missing" in built.stderr
    assert INSTALL_LINE in built.stderr
    assert "Traceback" not in built.stderr
    assert "released" not in built.stdout  # it stopped before doing any work

    url = "postgresql+psycopg://nobody@localhost/nothing"
    exported = as_student("--root", str(repo), "export", "demo", "--db", url, cwd=tmp_path)
    assert exported.returncode == 2, exported.stdout + exported.stderr
    assert "psycopg (the PostgreSQL driver) is missing" in exported.stderr
    assert INSTALL_LINE in exported.stderr


def test_any_other_missing_module_is_not_blamed_on_the_teacher_part() -> None:
    """A broken environment (numpy gone) keeps its traceback: no install advice that
    would not fix it."""
    assert _teacher_part_missing(ModuleNotFoundError(name="numpy"), "check") is None
    assert _teacher_part_missing(ModuleNotFoundError(name="jupyterhub.spawner"), "hub")


def test_the_wheel_holds_only_the_package(tmp_path: Path) -> None:
    """What a teacher publishes for students (`pip wheel --no-deps .`): built from a copy
    of the repository, it holds the autograder package and its metadata, never the
    assignments' sources (solutions, hidden tests), the book or the tests."""
    source = tmp_path / "repo"
    skip = shutil.ignore_patterns(
        ".git", ".venv", "_build", "build", "*.egg-info", "__pycache__", ".*_cache"
    )
    shutil.copytree(ROOT, source, ignore=skip)
    assert any((source / "assignments").glob("*/source/*/*.ipynb"))  # there is something to leak
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--no-index", str(source), "-w", str(tmp_path / "wheel")],
        check=True,
        timeout=120,
    )  # fmt: skip
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [
            Requirement(line.partition(":")[2].strip())
            for line in archive.read(info).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    outside = [n for n in names if not n.startswith(("autograder/", "ai_course_autograder-"))]
    assert outside == []
    assert "autograder/cli/__init__.py" in names
    assert any(n.startswith("autograder/book/static/") for n in names)  # package data
    # Jupyter loads the toolkit's extension (Validate = `autograder check`) once installed.
    assert any(n.endswith(".data/data/etc/jupyter/jupyter_server_config.d/autograder.json")
               for n in names), names  # fmt: skip
    plain = {canonicalize_name(r.name) for r in requires if r.marker is None}
    assert not plain & TEACHER_ONLY, sorted(plain & TEACHER_ONLY)
    assert "nbgrader" in plain
