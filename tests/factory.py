"""Small, real course repositories for tests: configs, a lecture and an nbgrader assignment."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import yaml
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _meta(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: float | None = None,
    task: bool = False,
) -> dict:
    meta = {
        "grade": grade,
        "solution": solution,
        "locked": locked,
        "grade_id": grade_id,
        "schema_version": 3,
        "task": task,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook(loop_forever: bool = False) -> NotebookNode:
    """Two functions to write, each with a visible and a hidden test (2 + 3 points)."""
    add_body = "    while True:\n        pass" if loop_forever else "    return a + b"
    cells = [
        new_markdown_cell(
            "# Demo assignment\n\nWrite `add` and `mul`.", metadata=_meta("intro", locked=True)
        ),
        new_code_cell(
            'def add(a, b):\n    """Return a + b."""\n'
            f"    ### BEGIN SOLUTION\n{add_body}\n    ### END SOLUTION",
            metadata=_meta("add", solution=True),
        ),
        new_code_cell(
            'assert add(1, 2) == 3, "add(1, 2) should be 3"\n'
            "### BEGIN HIDDEN TESTS\n"
            'assert add(-4, 4) == 0, "add(-4, 4) should be 0"\n'
            "### END HIDDEN TESTS",
            metadata=_meta("test_add", grade=True, locked=True, points=2),
        ),
        new_code_cell(
            'def mul(a, b):\n    """Return a * b."""\n'
            "    ### BEGIN SOLUTION\n    return a * b\n    ### END SOLUTION",
            metadata=_meta("mul", solution=True),
        ),
        new_code_cell(
            'assert mul(2, 3) == 6, "mul(2, 3) should be 6"\n'
            "### BEGIN HIDDEN TESTS\n"
            'assert mul(7, 0) == 0, "mul(7, 0) should be 0"\n'
            "### END HIDDEN TESTS",
            metadata=_meta("test_mul", grade=True, locked=True, points=3),
        ),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


LECTURE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Demo lecture

:::{admonition} Learning goals
- Add up numbers.
:::

```{study-time}
```

Euler: $e^{i\\pi} + 1 = 0$.

```{code-cell} ipython3
from pathlib import Path
with Path("runs.log").open("a") as fh:
    fh.write("ran\\n")
print(sum(range(10)))
```

:::{admonition} Exercise 1
Add the squares of 1 to 3.
:::

```{code-cell} ipython3
:tags: [solution]

print("squares", sum(k * k for k in range(1, 4)))
```

::::{admonition} Solution
:class: dropdown
The squares add up to 14.
::::

## Takeaways

- Python adds.

## Check your understanding

```{quiz}
- question: What does `sum(range(10))` print?
  numeric: 45
  tolerance: 0
  why: The numbers 0 to 9 add up to 45.
- question: Which call adds the numbers 1 to 3?
  choices:
    - answer: "`sum(range(1, 4))`"
      correct: true
      why: Right, range stops before its end.
    - answer: "`sum(range(1, 3))`"
      why: No, that stops at 2.
    - answer: "`sum(range(3))`"
      why: No, that adds 0, 1 and 2.
- question: Is $e^{i\\pi} + 1$ equal to zero?
  choices:
    - answer: "Yes"
      correct: true
      why: Euler's identity.
    - answer: "No"
      why: It is, up to rounding in floating point.
- question: Roughly what is $\\pi$?
  numeric: 3.14
  tolerance: 0.01
  why: It is about 3.14159.
```
"""

START_PAGE = """# {title}

Start here. Goals: learn to add. Prerequisites: none. Time: about 2 hours.
Help: ask in the course forum.
"""


def course_config(course_id: str = "demo", **overrides) -> dict:
    config = {
        "id": course_id,
        "title": {"en": "Demo course", "sv": "Demokurs"},
        "description": "A course used by the tests.",
        "lecture_timeout": 60,
        "lectures": [f"{course_id}/01-demo.md"],
        "assignments": [
            {
                "id": "a1",
                "title": "Adding and multiplying",
                "limits": {"cell_timeout": 5, "notebook_timeout": 30},
                "notebooks": [{"file": "demo.ipynb", "points": {"test_add": 2, "test_mul": 3}}],
            }
        ],
    }
    config.update(overrides)
    return config


def make_repo(root: Path, course_id: str = "demo", notebook: NotebookNode | None = None) -> Path:
    (root / "course_configs").mkdir(parents=True)
    (root / "course_configs" / f"{course_id}.yml").write_text(
        yaml.safe_dump(course_config(course_id), sort_keys=False), encoding="utf-8"
    )
    (root / "book" / course_id).mkdir(parents=True)
    (root / "book" / course_id / "index.md").write_text(START_PAGE.format(title="Demo course"))
    (root / "book" / course_id / "01-demo.md").write_text(LECTURE)
    (root / "book" / "index.md").write_text(
        "# Courses\n\n```{include} _generated/courses.md\n```\n"
    )
    repo_config = Path(__file__).resolve().parents[1] / "book" / "_config.yml"
    (root / "book" / "_config.yml").write_text(repo_config.read_text())
    source = root / "assignments" / course_id / "source" / "a1"
    source.mkdir(parents=True)
    nbformat.write(notebook or source_notebook(), source / "demo.ipynb")
    return root


def write_config(root: Path, config: dict, course_id: str = "demo") -> None:
    (root / "course_configs" / f"{course_id}.yml").write_text(
        yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
    )


def answered(notebook: NotebookNode, replacements: dict[str, str]) -> NotebookNode:
    """A copy of `notebook` whose answer cells `grade_id -> code` are replaced."""
    result = copy.deepcopy(notebook)
    for cell in result.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in replacements:
            cell.source = replacements[gid]
    return result


def save(notebook: NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def add_course(root: Path, course_id: str, title: str) -> None:
    """A course with one lecture (whose text has the word `<id>keyword`) and no assignment."""
    config = course_config(course_id, title={"en": title, "sv": f"{title} (sv)"}, assignments=[])
    write_config(root, config, course_id)
    (root / "book" / course_id).mkdir(parents=True)
    (root / "book" / course_id / "index.md").write_text(START_PAGE.format(title=title))
    word = course_id.replace("-", "") + "keyword"
    lecture = LECTURE.replace("# Demo lecture", f"# {title}: first lecture\n\nSearch word: {word}.")
    (root / "book" / course_id / "01-demo.md").write_text(lecture)


MODEL_ANSWER = "Adding is exact for integers, so `add(a, b)` can be trusted for money in cents."
PARTIAL_TEST = (
    "score = 0.0\n"
    "if add(2, 2) == 4:\n"
    "    score += 1.5\n"
    "if mul(2, 3) == 6:\n"
    "    score += 0.5\n"
    "score  # nbgrader's partial credit: the cell's output is its score"
)


def manual_notebook() -> NotebookNode:
    """The demo notebook plus what a person grades and partial credit: a written answer
    `explain_add` (2 points), a task `task_review` (1 point, with a mark scheme) and a
    test `test_partial` (2 points) whose output is the score it earns."""
    notebook = source_notebook()
    notebook.cells += [
        new_markdown_cell(
            "Explain to a colleague why `add` is safe for amounts of money.",
            metadata=_meta("explain_add_question", locked=True),
        ),
        new_markdown_cell(
            MODEL_ANSWER, metadata=_meta("explain_add", grade=True, solution=True, points=2)
        ),
        new_markdown_cell(
            "## Review (1 point)\n\nAsk a colleague to review `mul` and note what they said.\n\n"
            "=== BEGIN MARK SCHEME ===\nOne point for a review with a concrete remark.\n"
            "=== END MARK SCHEME ===",
            metadata=_meta("task_review", locked=True, points=1, task=True),
        ),
        new_code_cell(
            PARTIAL_TEST, metadata=_meta("test_partial", grade=True, locked=True, points=2)
        ),
    ]
    return notebook


def manual_config(course_id: str = "demo") -> dict:
    """`course_config` for `manual_notebook`: tests under points, the rest under manual."""
    config = course_config(course_id)
    config["assignments"][0]["notebooks"][0] = {
        "file": "demo.ipynb",
        "points": {"test_add": 2, "test_mul": 3, "test_partial": 2},
        "manual": {"explain_add": 2, "task_review": 1},
    }
    return config


def make_manual_repo(root: Path, course_id: str = "demo") -> Path:
    """`make_repo` with `manual_notebook` and its config."""
    make_repo(root, course_id, manual_notebook())
    write_config(root, manual_config(course_id), course_id)
    return root


def score(run: dict, student: str) -> float:
    """A student's score for a1 of the demo course in the gradebook at run["db"]."""
    from nbgrader.api import Gradebook

    with Gradebook(run["db"], "demo") as gb:
        return gb.find_submission("a1", student).score
