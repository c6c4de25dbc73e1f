"""Checks of a lecture that students rely on and that running it does not prove.

- every figure has alt text (`mystnb: image: alt:` or a figure caption), so
  screen-reader users get the point of the picture: checked on the executed
  notebook, where it is certain which cells draw;
- no cell shows stray stderr (warnings, progress bars) unless it is tagged to hide it;
- headings go down one level at a time, so the page outline makes sense;
- the lecture opens with learning goals and ends with takeaways (AUTHORING.md).

Course start pages must say what a student needs before enrolling: goals,
prerequisites, the time it takes and where to get help.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
from nbformat import NotebookNode

QUIET_TAGS = {"remove-stderr", "remove-output", "hide-output", "remove-cell"}
HEADING = re.compile(r"^(#{1,6})\s+\S")
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


def lint_start_page(path: Path, label: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = heading_problems(_headings([text]), label)
    for topic, pattern in START_PAGE_TOPICS.items():
        if not pattern.search(text):
            problems.append(f"{label}: the course start page does not say its {topic}")
    return problems
