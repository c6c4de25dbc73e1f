"""Grading with a Python installed where the sandbox mounts a private folder of its own.

Issue 14: with a virtual environment under /tmp every submission failed with "Kernel
died before replying to kernel_info": the kernel's private /tmp was mounted over the
Python installation. Here `autograder grade` runs from a venv under /tmp that sits
inside the course checkout (so also: a venv inside the checkout shows nothing else of
it). Needs the sandbox (bubblewrap, root): CI installs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

import autograder
from autograder.grading import store
from autograder.runtime.sandbox import unavailable_reason
from tests.factory import course_config, make_repo, save, write_config
from tests.test_hostile import RIGHT_AREA, source, submission

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        unavailable_reason() is not None and not os.environ.get("CI"),
        reason=f"sandbox unavailable: {unavailable_reason()}",
    ),
]

MARK = "SEEN"


def probe(course: Path) -> str:
    return f"""
import json, os, sys
print({MARK!r} + json.dumps({{
    "prefix": sys.prefix,
    "checkout": sorted(os.listdir({str(course)!r})),
    "gradebook": os.path.exists({str(course / "assignments/demo/gradebook.db")!r}),
    "source": os.path.exists({str(course / "assignments/demo/source/a1/circles.ipynb")!r}),
    "configs": os.path.exists({str(course / "course_configs")!r}),
}}))
"""


def python_under(checkout: Path) -> Path:
    """A venv in checkout/.venv with this one's packages, hard-linked (a link out of the
    venv would point at a folder the sandbox does not show)."""
    venv = checkout / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = site / "site-packages"
    linked = subprocess.run(
        ["cp", "-al", f"{sysconfig.get_paths()['purelib']}/.", f"{site}/"],
        capture_output=True,
        text=True,
    )
    if linked.returncode != 0:
        pytest.skip(f"cannot hard-link the packages under {checkout}: {linked.stderr.strip()}")
    # The grader's own code, from this checkout (never shown to kernels).
    (site / "autograder-under-test.pth").write_text(f"{Path(autograder.__file__).parents[1]}\n")
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    course = make_repo(tmp_path_factory.mktemp("python-under-tmp") / "course", notebook=source())
    assert course.is_relative_to("/tmp")
    (course / "assignments/demo/source/a1/demo.ipynb").rename(
        course / "assignments/demo/source/a1/circles.ipynb"
    )
    config = course_config()
    config["assignments"][0]["notebooks"] = [
        {"file": "circles.ipynb", "points": {"test_area": 2, "test_double": 1}}
    ]
    write_config(course, config)
    python = python_under(course)
    folder = course.parent / "class"
    save(submission(RIGHT_AREA, probe(course)), folder / "ann" / "circles.ipynb")
    scripts = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    done = subprocess.run(
        [str(python), "-c", "from autograder.cli import run; run()", "--root", str(course)]
        + ["grade", "demo", "a1", str(folder), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        # nbgrader runs `alembic` as a command: the scripts of this venv (not made there).
        env={**os.environ, "COLUMNS": "200", "PATH": f"{python.parent}:{scripts}"},
    )
    db = f"sqlite:///{course / 'assignments/demo/gradebook.db'}"
    graded_copy = course / "assignments/demo/autograded/ann/a1/circles.ipynb"
    cells = nbformat.read(graded_copy, as_version=4).cells if graded_copy.is_file() else []
    text = "\n".join(o.get("text", "") for c in cells if c.cell_type == "code" for o in c.outputs)
    line = next((x for x in text.splitlines() if x.startswith(MARK)), None)
    return {
        "done": done,
        "record": store.load(db, "a1").get("ann"),
        "seen": json.loads(line[len(MARK) :]) if line else None,
        "python": python,
        "course": course,
    }


def test_a_submission_is_graded_by_a_python_under_tmp(graded: dict) -> None:
    done, record = graded["done"], graded["record"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert (record.status, record.score) == (store.GRADED, 3), record.messages


def test_the_kernel_ran_the_python_under_tmp(graded: dict) -> None:
    assert graded["seen"] is not None, graded["record"].messages
    assert graded["seen"]["prefix"] == str(graded["python"].parents[1])


def test_a_venv_inside_the_checkout_shows_nothing_else_of_it(graded: dict) -> None:
    seen = graded["seen"]
    assert seen is not None, graded["record"].messages
    assert seen["checkout"] == [".venv"]
    assert (seen["gradebook"], seen["source"], seen["configs"]) == (False, False, False)


def test_grading_without_the_fix_would_refuse_nothing_here(graded: dict) -> None:
    """The run graded in the sandbox: no --no-sandbox, no warning."""
    assert "WITHOUT a sandbox" not in graded["done"].stdout + graded["done"].stderr
