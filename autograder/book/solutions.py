"""An exercise's solution code runs with the lecture and is shown inside its Solution box.

A solution written as a Markdown listing never runs, so the numbers its explanation
quotes go stale unseen. Lectures therefore hold each solution as a real code cell tagged
`solution`, executed with the rest of the page (and checked by CI like any other cell),
followed by the collapsible Solution box with the explanation. When the page is read,
this module moves the executed cell, output included, into that box, so the student
sees code, output and explanation together, and nothing of it before opening the box.
The lecture lint requires the box to follow the cell.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx

from autograder.course.study_time import SOLUTION_TAG

CELL_CLASS = f"tag_{SOLUTION_TAG}"


def _is_solution_cell(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and CELL_CLASS in node.get("classes", [])


def _is_dropdown(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Admonition) and "dropdown" in node.get("classes", [])


def move_into_boxes(app: Sphinx, doctree: nodes.document) -> None:
    for cell in list(doctree.findall(_is_solution_cell)):
        box = cell.next_node(descend=False, siblings=True, ascend=False)
        if box is None or not _is_dropdown(box):
            continue  # the lint reports a solution cell without its box
        cell.parent.remove(cell)
        title = next(
            (i for i, child in enumerate(box.children) if isinstance(child, nodes.title)), -1
        )
        box.insert(title + 1, cell)
