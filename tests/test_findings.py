"""Tampering findings travel with their own job, however many jobs a worker runs at once.

A Dask worker runs several threads; each job must get exactly what its own
notebook did, never another job's findings.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from autograder.authoring.release import generate_release
from autograder.course.config import load_course
from autograder.course.paths import Repo
from autograder.grading import coordinator, job, store
from autograder.grading.collect import Submission
from autograder.grading.job import GradingContext
from tests.factory import answered, make_repo, save, source_notebook

SILENCE = (
    "import IPython.core.interactiveshell as s\n"
    "s.InteractiveShell.showtraceback = lambda *a, **k: None\n"
)


def test_a_jobs_findings_never_reach_a_job_on_another_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "repo")
    course = load_course(Repo(root), "demo")
    assignment = course.assignment("a1")
    ctx = GradingContext(
        course, assignment, root / "assignments/demo", f"sqlite:///{tmp_path / 'gb.db'}"
    )
    generate_release(course, assignment, ctx.course_root, ctx.db_url)
    source = source_notebook()
    folder = tmp_path / "class"
    subs = []
    for student, notebook in (
        ("tamper", answered(source, {"mul": SILENCE + "def mul(a, b):\n    return a * b"})),
        ("honest", source),
    ):
        path = save(notebook, folder / student / "demo.ipynb")
        subs.append(Submission(student, path.parent, {"demo.ipynb": path}))
    jobs = {j.student: j for j in coordinator._jobs(ctx, subs, False, True, lambda r: None)}

    # The honest job starts while the tampering one is being graded, as two threads of
    # one Dask worker would.
    grading = threading.Event()
    real_api = job.make_api

    def api_that_signals(*args: object) -> object:
        api = real_api(*args)
        autograde = api.autograde

        def signalling(*a: object, **k: object) -> dict:
            grading.set()
            return autograde(*a, **k)

        api.autograde = signalling
        return api

    monkeypatch.setattr(job, "make_api", api_that_signals)
    outcome: dict[str, store.StudentResult] = {}

    def grade(student: str) -> None:
        outcome[student] = job.grade_in_worker(jobs[student])

    first = threading.Thread(target=grade, args=("tamper",))
    first.start()
    assert grading.wait(timeout=120)
    second = threading.Thread(target=grade, args=("honest",))
    second.start()
    first.join(timeout=300)
    second.join(timeout=300)
    assert outcome["tamper"].status == store.TAMPER
    assert outcome["honest"].status == store.GRADED, outcome["honest"].messages
