"""Structural checks of a submission against the teacher's notebook, and the repair nbgrader runs.

Students delete or copy cells by accident. A deleted test cell must not cost a
student the points their answer earns, and a copied one must not confuse the
grader. `compare_structure` reports what differs; `restore_missing` puts the
teacher's cells back (tests and read-only cells from the source, answer cells
as the unanswered release stub) so the grade reflects the real answers.
Of duplicated cells the last copy is graded (as nbgrader's DeduplicateIds chooses);
the earlier copies lose their nbgrader metadata and run as ordinary cells. (nbgrader
blanks that metadata instead of removing it, and its own schema check then rejects
the whole notebook: nbgrader#1083.)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.course import structure
from autograder.course.notebooks import nbgrader_meta, read_notebook
from autograder.course.structure import Change, Difference, grade_ids, graded_source_cells

UNANSWERED_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


@dataclass(frozen=True)
class StructureProblem:
    grade_id: str
    kind: str  # a structure.Change value: "missing", "duplicated", "metadata-changed", ...
    message: str


def _message(diff: Difference) -> str:
    """The grader's words for a difference: what was found, and what the grader did about it."""
    want = diff.expected
    if diff.change is Change.UNKNOWN:
        return (
            f"tampering: a cell claims grade id '{diff.grade_id}', which the teacher's "
            "notebook does not have; it ran as an ordinary cell of the student's"
        )
    if want is None:
        return "graded cells were moved; they were graded in the teacher's order"
    what, gid = want.label, want.grade_id
    if diff.change is Change.MISSING:
        consequence = (
            "it was restored empty, so it counts as unanswered"
            if want.role == "answer"
            else "it was restored from the teacher's copy and graded as usual"
        )
        return f"{what} '{gid}' was deleted; {consequence}"
    if diff.change is Change.DUPLICATED:
        return (
            f"{what} '{gid}' appears {diff.count} times; the last copy is graded, "
            "the others run as ordinary cells"
        )
    if diff.change is Change.TYPE_CHANGED:
        return f"{what} '{gid}' was changed from {want.cell_type} to {diff.found_type}"
    return (
        f"tampering: the nbgrader metadata of {what} '{gid}' was changed "
        f"({diff.detail}); the teacher's was restored and the answers graded against it"
    )


def compare_structure(source: NotebookNode, submitted: NotebookNode) -> list[StructureProblem]:
    return [
        StructureProblem(diff.grade_id, diff.change.value, _message(diff))
        for diff in structure.compare(structure.expected_from_source(source), submitted)
    ]


def restore_roles(source: NotebookNode, submitted: NotebookNode) -> NotebookNode:
    """Every graded cell gets the teacher's nbgrader metadata back: whether it is a test, an
    answer or read-only, and its points, are the teacher's to say."""
    teacher = {gid: meta for gid, meta, _ in graded_source_cells(source)}
    result = copy.deepcopy(submitted)
    for cell in result.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid and str(gid) in teacher:
            cell.metadata["nbgrader"] = copy.deepcopy(teacher[str(gid)])
    return result


def strip_unknown(source: NotebookNode, submitted: NotebookNode) -> NotebookNode:
    """A cell whose grade id the teacher's notebook does not have loses its nbgrader
    metadata: it runs as the student's (never as a test, never in the tests' kernel), and
    nbgrader does not reject the whole notebook for it."""
    teacher = set(grade_ids(source))
    result = copy.deepcopy(submitted)
    for cell in result.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid and str(gid) not in teacher:
            del cell.metadata["nbgrader"]
    return result


def drop_earlier_duplicates(notebook: NotebookNode) -> NotebookNode:
    result = copy.deepcopy(notebook)
    seen: set[str] = set()
    for cell in reversed(result.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        if not gid:
            continue
        if gid in seen:
            del cell.metadata["nbgrader"]
        seen.add(gid)
    return result


def canonical_order(source: NotebookNode, submitted: NotebookNode) -> NotebookNode:
    """Graded cells in the teacher's order; each student cell stays after the graded cell
    it followed, so moving a test cell (before an answer, or away from a check) changes
    nothing."""
    rank = {gid: i for i, gid in enumerate(grade_ids(source))}
    leading: list[NotebookNode] = []
    groups: list[tuple[int, list[NotebookNode]]] = []
    for cell in submitted.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid and str(gid) in rank:
            groups.append((rank[str(gid)], [cell]))
        elif groups:
            groups[-1][1].append(cell)
        else:
            leading.append(cell)
    result = copy.deepcopy(submitted)
    ordered = sorted(groups, key=lambda group: group[0])
    result.cells = leading + [cell for _, cells in ordered for cell in cells]
    return result


def restore_missing(source: NotebookNode, submitted: NotebookNode) -> NotebookNode:
    """Insert each missing graded cell after the nearest earlier graded cell that is present."""
    present = set(grade_ids(submitted))
    result = copy.deepcopy(submitted)
    previous: str | None = None
    for gid, meta, cell in graded_source_cells(source):
        if gid not in present:
            restored = copy.deepcopy(cell)
            if meta.get("solution") and restored.cell_type == "code":
                restored.source = UNANSWERED_STUB
            if restored.cell_type == "code":
                restored.outputs = []
                restored.execution_count = None
            index = 0
            if previous is not None:
                ids = [nbgrader_meta(c).get("grade_id") for c in result.cells]
                index = ids.index(previous) + 1
            result.cells.insert(index, restored)
            present.add(gid)
        previous = gid
    return result


class RepairStructure(NbGraderPreprocessor):
    """nbgrader sanitize step: put deleted graded cells back before OverwriteCells runs."""

    source_root = Unicode(
        "",
        help="Folder holding <assignment>/<notebook>.ipynb teacher versions (nbgrader's source/).",
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        info = resources.get("nbgrader", {})
        if not self.source_root:
            return nb, resources
        path = Path(self.source_root, info["assignment"], f"{info['notebook']}.ipynb")
        if not path.is_file():
            return nb, resources
        source = read_notebook(path)
        problems = compare_structure(source, nb)
        for p in problems:
            self.log.warning("%s", p.message)
        if any(p.kind == "unknown" for p in problems):
            nb = strip_unknown(source, nb)
        if any(p.kind == "metadata-changed" for p in problems):
            nb = restore_roles(source, nb)
        if any(p.kind == "duplicated" for p in problems):
            nb = drop_earlier_duplicates(nb)
        if any(p.kind == "missing" for p in problems):
            nb = restore_missing(source, nb)
        if any(p.kind == "reordered" for p in problems):
            nb = canonical_order(source, nb)
        return nb, resources
