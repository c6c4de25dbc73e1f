"""The repository's own four courses, loaded once for the content tests."""

from __future__ import annotations

from pathlib import Path

from autograder.course.config import load_all
from autograder.course.paths import Repo

REPO = Repo(Path(__file__).resolve().parents[1])
COURSES = load_all(REPO)
LECTURES = [(c, lecture) for c in COURSES for lecture in c.lectures]
ASSIGNMENTS = [(c, a) for c in COURSES for a in c.assignments]
