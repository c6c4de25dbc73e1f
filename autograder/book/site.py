"""The online book: table of contents and course pages generated from the course configs.

`book/_toc.yml`, the course cards on the landing page and each course's
assignments page (with the released notebooks to download) are written here
from `course_configs/`, so the book can never list a lecture or an assignment
the configs do not, nor miss one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from autograder.course.config import Course
from autograder.course.errors import AutograderError
from autograder.course.paths import Repo

BOOK_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _doc(path: str) -> str:
    return str(Path(path).with_suffix(""))


def toc(courses: list[Course]) -> dict:
    parts = []
    for course in courses:
        sections = [{"file": _doc(lecture)} for lecture in course.lectures]
        if course.assignments:
            sections.append({"file": f"_generated/{course.id}/assignments"})
        parts.append(
            {
                "caption": course.title.en,
                "chapters": [{"file": f"{course.id}/index", "sections": sections}],
            }
        )
    return {"format": "jb-book", "root": "index", "parts": parts}


def course_cards(courses: list[Course]) -> str:
    lines = ["::::{grid} 1 1 2 2", ":gutter: 3", ""]
    for course in courses:
        n_lect, n_asg = len(course.lectures), len(course.assignments)
        lines += [
            f":::{{grid-item-card}} {course.title.en}",
            f":link: {course.id}/index",
            ":link-type: doc",
            "",
            f"*{course.title.sv}* · course id `{course.id}`",
            "",
            course.description.strip(),
            "",
            f"**{n_lect} lectures · {n_asg} auto-graded assignments**",
            ":::",
            "",
        ]
    lines.append("::::")
    return "\n".join(lines) + "\n"


def assignments_page(repo: Repo, course: Course) -> str:
    lines = [
        f"# Assignments: {course.title.en}",
        "",
        "Each assignment is a Jupyter notebook. Download it, work through it on your own",
        "machine or on the course JupyterHub, and check your work against the visible tests",
        "before you hand it in:",
        "",
        "```bash",
        "autograder check <notebook>.ipynb",
        "```",
        "",
        "The hidden tests that decide the grade run when your submission is graded; they",
        "check the same functions on data you have not seen, so test your code beyond the",
        "visible examples.",
        "",
    ]
    for assignment in course.assignments:
        lines += [f"## {assignment.title}", ""]
        facts = [f"Assignment id: `{assignment.id}`", f"Points: {assignment.max_score:g}"]
        by_person = sum(sum(spec.manual.values()) for spec in assignment.notebooks)
        if by_person:  # so the student knows part of the score comes later, from a person
            facts[-1] += f", {by_person:g} of them for written work graded by your teacher"
        if assignment.due is not None:
            facts.append(f"Due: {assignment.due.strftime('%Y-%m-%d %H:%M %Z').strip()}")
        if assignment.late_policy is not None:
            policy = assignment.late_policy
            text = f"Late work: {policy.penalty_per_day:.0%} of the score off per started day"
            if policy.max_days_late is not None:
                text += f", zero after {policy.max_days_late} days"
            facts.append(text)
        facts.append(
            f"Time limit when graded: {assignment.limits.notebook_timeout} s for the notebook, "
            f"{assignment.limits.cell_timeout} s per cell"
        )
        lines += [f"- {fact}" for fact in facts] + [""]
        for nb in assignment.notebooks:
            target = f"release/{assignment.id}/{nb.file}"
            lines.append(f"- {{download}}`Download {nb.file} <{target}>`")
        for name in assignment.files:
            lines.append(f"- {{download}}`Download {name} <release/{assignment.id}/{name}>`")
        lines.append("")
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    """Unchanged files keep their timestamps, so Sphinx does not rebuild their pages."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_sources(repo: Repo, courses: list[Course]) -> None:
    """Generate the table of contents and pages; copy each course's released notebooks."""
    _write_if_changed(
        repo.book / "_toc.yml",
        "# Generated from course_configs/ by `autograder build`: do not edit.\n"
        + yaml.safe_dump(toc(courses), sort_keys=False, allow_unicode=True),
    )
    _write_if_changed(repo.book_generated / "courses.md", course_cards(courses))
    for course in courses:
        folder = repo.book_generated / course.id
        if course.assignments:
            _write_if_changed(folder / "assignments.md", assignments_page(repo, course))
        for assignment in course.assignments:
            release = repo.release_dir(course.id, assignment.id)
            target = folder / "release" / assignment.id
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(release, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))


def build_html(repo: Repo) -> Path:
    """Run Jupyter Book; lectures execute with the cache, so an unchanged rebuild runs nothing."""
    exe = Path(sys.executable).with_name("jupyter-book")
    command = [str(exe) if exe.exists() else "jupyter-book", "build", str(repo.book)]
    env = {**os.environ, **BOOK_ENV}
    completed = subprocess.run(command, cwd=repo.root, env=env)
    if completed.returncode != 0:
        raise AutograderError(
            f"book/: jupyter-book build failed (exit {completed.returncode}); see the log above"
        )
    return repo.book_html / "index.html"
