"""Where an answer's source uses what the assignment forbids (config `forbidden:`).

The student's kernel makes forbidden things raise (runtime/forbidden_kernel.py); this
reads the source, so that a use is named to the teacher and the student with its line,
including one the kernel did not meet (a branch the tests did not take). It sees
imports, attribute chains through aliases (`import cv2 as c; c.findHomography`), and
string constants naming a forbidden thing (`getattr(cv2, "findHomography")`,
`importlib.import_module("sklearn.naive_bayes")`); code that builds the name at run time
is left to the kernel.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence

from nbformat import NotebookNode

from autograder.course.notebooks import nbgrader_meta


def _covers(forbidden: str, name: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


def uses(source: str, forbidden: Sequence[str]) -> list[tuple[int, str]]:
    """(line, forbidden name) for each use found in the source, in order, once per line
    and name. Source that does not parse has none (grading reports the syntax error)."""
    if not forbidden:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    aliases: dict[str, str] = {}
    found: dict[tuple[int, str], None] = {}

    def check(name: str, line: int) -> None:
        for banned in forbidden:
            if _covers(banned, name):
                found[(line, banned)] = None

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
                check(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            check(node.module, node.lineno)
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                aliases[alias.asname or alias.name] = full
                check(full, node.lineno)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts: list[str] = []
            inner: ast.expr = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                check(".".join([aliases[inner.id], *reversed(parts)]), node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for banned in forbidden:
                last = banned.rsplit(".", 1)[-1]
                if node.value == banned or ("." in banned and node.value == last):
                    found[(node.lineno, banned)] = None
    return sorted(found)


def notebook_uses(
    notebook: NotebookNode, forbidden: Sequence[str], students: Callable[[NotebookNode], bool]
) -> list[tuple[str, int, str]]:
    """(cell, line, forbidden name) for each use in the code cells `students` says are the
    student's; a cell is named by its grade id in quotes, or by its position (#3)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not students(cell):
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        label = f"'{gid}'" if gid else f"#{index + 1}"
        found += [(label, line, name) for line, name in uses(cell.source, forbidden)]
    return found
