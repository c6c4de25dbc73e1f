"""Checks of a lecture that students rely on and that running it does not prove.

- every figure has alt text (`mystnb: image: alt:` or a figure caption), so
  screen-reader users get the point of the picture: checked on the executed
  notebook, where it is certain which cells draw;
- no cell shows stray stderr (warnings, progress bars) unless it is tagged to hide it;
- headings go down one level at a time, so the page outline makes sense;
- the lecture opens with learning goals and ends with takeaways (AUTHORING.md);
- it states its study time (`{study-time}`, computed by the book) and ends with a
  self-assessment quiz that `course/quiz.py` accepts (one keyed answer per question,
  an explanation for every answer), after the takeaways;
- code shown to students runs: no Python listing in Markdown, and every exercise
  solution is a code cell tagged `solution` followed by its collapsible Solution box,
  so its output, and the numbers an explanation quotes, come from this run.

Course start pages must say what a student needs before enrolling: goals,
prerequisites, the time it takes and where to get help.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
from nbformat import NotebookNode

from autograder.course.quiz import QuizError, parse_quiz, quiz_bodies
from autograder.course.study_time import SOLUTION_TAG

QUIET_TAGS = {"remove-stderr", "remove-output", "hide-output", "remove-cell"}
HEADING = re.compile(r"^(#{1,6})\s+\S")
PYTHON_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(python3?|py|ipython3?|pycon)\s*$", re.M | re.I)
STUDY_TIME = re.compile(r"^\s*`{3,}\{study-time\}\s*$", re.M)
SOLUTION_BOX = re.compile(r"\A\s*:{3,}\s*\{admonition\}\s+Solution\b[^\n]*\n\s*:class:\s*dropdown")
START_PAGE_TOPICS = {
    "goals": re.compile(r"goal|you will (learn|be able)", re.I),
    "prerequisites": re.compile(r"prerequisite|before you start|what you need", re.I),
    "time estimate": re.compile(r"\b\d+\s*(h|hours?)\b|hours? (a|per) week", re.I),
    "how to get help": re.compile(r"help|forum|office hours", re.I),
}


def _headings(markdown_sources: list[str]) -> list[int]:
    levels = []
    for source in markdown_sources:
        fenced = False
        for line in source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            match = HEADING.match(line) if not fenced else None
            if match:
                levels.append(len(match.group(1)))
    return levels


def heading_problems(levels: list[int], label: str) -> list[str]:
    problems = []
    if levels and levels[0] != 1:
        problems.append(f"{label}: the first heading should be a level-1 title (#)")
    if levels.count(1) > 1:
        problems.append(f"{label}: more than one level-1 heading (#)")
    for before, after in zip(levels, levels[1:], strict=False):
        if after > before + 1:
            problems.append(f"{label}: heading level jumps from {before} to {after}")
            break
    return problems


def lint_lecture(path: Path, label: str) -> list[str]:
    notebook = jupytext.read(path)
    problems = heading_problems(
        _headings([c.source for c in notebook.cells if c.cell_type == "markdown"]), label
    )
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    if "Learning goals" not in text:
        problems.append(f"{label}: no 'Learning goals' box at the top")
    if not re.search(r"^##\s+Takeaways", text, re.M):
        problems.append(f"{label}: no '## Takeaways' section")
    if not STUDY_TIME.search(text):
        problems.append(f"{label}: no study-time box (a ```{{study-time}} fence after the goals)")
    return problems + quiz_problems(text, label) + solution_problems(notebook, label)


def quiz_problems(text: str, label: str) -> list[str]:
    """One quiz, valid, in the lecture's last section, which comes after the takeaways."""
    bodies = quiz_bodies(text)
    if len(bodies) != 1:
        return [f"{label}: {len(bodies)} quizzes; a lecture ends with exactly one ```{{quiz}}"]
    problems = []
    try:
        parse_quiz(bodies[0])
    except QuizError as error:
        problems.append(f"{label}: quiz: {error}")
    quiz_at = text.index("{quiz}")
    takeaways = re.search(r"^##\s+Takeaways", text, re.M)
    sections = [m.start() for m in re.finditer(r"^##?\s+\S", text, re.M)]
    if takeaways is not None and takeaways.start() > quiz_at:
        problems.append(f"{label}: the quiz comes before the takeaways; it ends the lecture")
    if any(start > quiz_at for start in sections):
        problems.append(f"{label}: a section follows the quiz; the quiz ends the lecture")
    return problems


def solution_problems(notebook: NotebookNode, label: str) -> list[str]:
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown" and PYTHON_FENCE.search(cell.source):
            first = PYTHON_FENCE.search(cell.source)
            line = cell.source[: first.start() if first else 0].count("\n") + 1
            problems.append(
                f"{label}: Markdown cell {index} holds a Python listing (line {line} of the "
                "cell) that never runs; make it a code cell (an exercise's solution: tagged "
                "'solution', before its Solution box)"
            )
        if cell.cell_type != "code" or SOLUTION_TAG not in cell.metadata.get("tags", []):
            continue
        following = notebook.cells[index + 1] if index + 1 < len(notebook.cells) else None
        if (
            following is None
            or following.cell_type != "markdown"
            or not SOLUTION_BOX.match(following.source)
        ):
            problems.append(
                f"{label}: solution code cell {index} is not followed by its Solution box "
                "(a '{admonition} Solution' with ':class: dropdown')"
            )
    return problems


def output_problems(executed: NotebookNode, label: str) -> list[str]:
    """Figures without alt text and untagged stderr noise, from an executed notebook."""
    problems = []
    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        tags = set(cell.metadata.get("tags", []))
        mystnb = cell.metadata.get("mystnb", {}) or {}
        alt = (mystnb.get("image") or {}).get("alt") or (mystnb.get("figure") or {}).get("caption")
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        first = (cell.source.strip().splitlines() or [""])[0][:60]
        if images and not alt and not tags & {"remove-output", "remove-cell"}:
            problems.append(
                f"{label}: code cell {index} draws a figure without alt text ({first!r})"
            )
        problems += glue_problems(cell, index, label)
        noisy = [
            o
            for o in cell.outputs
            if o.get("output_type") == "stream" and o.get("name") == "stderr"
        ]
        if noisy and not tags & QUIET_TAGS:
            text = noisy[0].get("text", "").strip().splitlines()
            problems.append(
                f"{label}: code cell {index} writes to stderr ({text[0][:80] if text else ''!r}); "
                "fix the cause or tag the cell remove-stderr"
            )
    return problems


def glue_problems(cell: NotebookNode, index: int, label: str) -> list[str]:
    """A value glued into the text must read back as a plain Python value: myst-nb formats
    `{glue:text}` from its text form, and numpy's `np.float64(0.93)` is not a number to it
    (the page then shows the raw text or nothing). Glue float(x), int(x) or str(x)."""
    problems = []
    for output in cell.outputs:
        glued = (output.get("metadata") or {}).get("scrapbook") or {}
        prefix = glued.get("mime_prefix", "")
        # myst-nb's keys carry a prefix ("application/papermill.record/") when not displayed.
        data = {k.removeprefix(prefix): v for k, v in (output.get("data") or {}).items()}
        if not glued.get("name") or set(data) != {"text/plain"}:
            continue  # not glued, or a figure or table glued for {glue:figure}
        try:
            ast.literal_eval(data["text/plain"])
        except (SyntaxError, ValueError):
            problems.append(
                f"{label}: code cell {index} glues {glued['name']!r} as "
                f"{data['text/plain'][:40]!r}, which the page cannot format; "
                "glue a plain value (float(x), int(x), str(x))"
            )
    return problems


def lint_start_page(path: Path, label: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = heading_problems(_headings([text]), label)
    for topic, pattern in START_PAGE_TOPICS.items():
        if not pattern.search(text):
            problems.append(f"{label}: the course start page does not say its {topic}")
    return problems
