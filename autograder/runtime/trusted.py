"""The grader's side of the trusted kernel: which cells it runs, and how it is set up.

Why two kernels: the student's code controls the process it runs in (it can patch the
interpreter, hook audit events, start threads, read source from memory), so nothing that
decides a verdict may run there. The teacher's tests run in a second kernel, the trusted
one (runtime/trusted_kernel.py), which never runs a line the student wrote; they reach
the student's work through the boundary (runtime/boundary) as plain data and handles.
This module says which cells go there (`TeacherCells`) and writes the code that sets both
kernels up (`Split`); runtime/execution.py drives them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from autograder.course.cells import CellKind, kind_of_meta
from autograder.course.notebooks import nbgrader_meta
from autograder.runtime.boundary import kernel_program
from autograder.runtime.kernel_code import module_program

KERNEL_SOURCE = (Path(__file__).parent / "trusted_kernel.py").read_text()
CONNECT_TIMEOUT = 10.0
"""Seconds the trusted kernel waits for the student's kernel to connect (at the first
test; a student's kernel that cannot serve leaves its tests without the student's names)."""


@dataclass(frozen=True)
class TeacherCells:
    """The teacher's cells of one notebook, by grade id: their source as the teacher wrote
    it (hidden tests included) and their kind. A cell of the submission runs in the trusted
    kernel only if it is one of these, unchanged: a cell the student made, or one whose
    metadata the student changed to look like a test, runs in the student's kernel."""

    sources: Mapping[str, tuple[CellKind, str]]

    @classmethod
    def from_gradebook(cls, resources: Mapping[str, object]) -> TeacherCells | None:
        """The cells nbgrader recorded when the assignment was released (None outside an
        nbgrader autograde: no record to trust)."""
        info = resources.get("nbgrader")
        if not isinstance(info, Mapping) or not info.get("db_url"):
            return None
        from nbgrader.api import Gradebook, MissingEntry

        try:
            with Gradebook(str(info["db_url"])) as gradebook:
                notebook = gradebook.find_notebook(str(info["notebook"]), str(info["assignment"]))
                graded = {cell.name for cell in notebook.grade_cells}
                solutions = {cell.name for cell in notebook.solution_cells}
                sources = {
                    cell.name: (
                        kind_of_meta(
                            {"grade": cell.name in graded, "solution": cell.name in solutions}
                        ),
                        cell.source,
                    )
                    for cell in notebook.source_cells
                    if cell.cell_type == "code" and (cell.locked or cell.name in graded)
                }
        except MissingEntry:
            return None
        return cls(sources)

    def kind(self, cell: NotebookNode) -> CellKind | None:
        """TEST or READ_ONLY for the teacher's own test and read-only cells; None for any
        other (the student's answers, cells the student added or changed)."""
        if cell.cell_type != "code":
            return None
        grade_id = nbgrader_meta(cell).get("grade_id")
        known = self.sources.get(grade_id) if isinstance(grade_id, str) else None
        if known is None or known[1] != cell.source:
            return None
        return known[0] if known[0] in (CellKind.TEST, CellKind.READ_ONLY) else None


STUDENT_SIDE_MARK = "# autograder: student-side"
"""A line of a teacher's read-only cell that keeps it out of the trusted kernel: a helper
that makes what the student's code works with (an environment, an estimator), so that a
test calling it gets a handle to an object of the student's kernel."""


def cell_kind(teacher: TeacherCells | None, cell: NotebookNode) -> CellKind | None:
    """TEST for a test cell of the teacher's (it runs in the trusted kernel), READ_ONLY for
    a read-only cell of the teacher's that the trusted kernel is offered too (unless it
    says STUDENT_SIDE_MARK), None for any other cell (the student's kernel's alone).
    Without the gradebook's record (our Execute run outside an nbgrader autograde) the
    cell's own metadata is all there is."""
    if teacher is not None:
        kind = teacher.kind(cell)
    elif cell.cell_type != "code":
        return None
    else:
        kind = kind_of_meta(nbgrader_meta(cell))
        if kind is CellKind.READ_ONLY and not nbgrader_meta(cell).get("locked"):
            kind = None
    if kind is CellKind.READ_ONLY and any(
        line.strip() == STUDENT_SIDE_MARK for line in cell.source.splitlines()
    ):
        return None
    return kind if kind in (CellKind.TEST, CellKind.READ_ONLY) else None


@dataclass(frozen=True)
class Split:
    """The names and socket that tie one submission's two kernels together."""

    boundary: str
    """The boundary package's module name, in both kernels."""
    module: str
    """trusted_kernel's module name in the trusted kernel."""
    socket_path: str

    @classmethod
    def new(cls, folder: Path) -> Split:
        token = secrets.token_hex(8)
        return cls(
            f"_autograder_boundary_{token}",
            f"_autograder_trusted_{token}",
            str(folder / f"tests-{token}.sock"),
        )

    def trusted_setup(self, call_timeout: float) -> str:
        """Code the trusted kernel runs first: the boundary, then trusted_kernel listening."""
        install = (
            f"install(get_ipython(), __import__('sys').modules[{self.boundary!r}], "
            f"{self.socket_path!r}, {float(call_timeout)!r}, {CONNECT_TIMEOUT!r})"
        )
        return (
            kernel_program(self.boundary)
            + module_program(self.module, KERNEL_SOURCE, install)
            + TESTING_PROGRAM
        )

    def student_setup(self) -> str:
        """Code the student's kernel runs before its first test: the boundary."""
        return kernel_program(self.boundary)

    def serve(self) -> str:
        """Code the student's kernel runs at each test: answer the trusted kernel."""
        return (
            f"__import__('sys').modules[{self.boundary!r}].channel.serve_at("
            f"{self.socket_path!r}, globals())"
        )

    def offer(self, source: str) -> str:
        """Code the trusted kernel runs after a read-only cell of the teacher's."""
        return f"__import__('sys').modules[{self.module!r}].TRUSTED.maybe_run({source!r})"


def _testing_program(testing: Path) -> str:
    """Code that makes `autograder.testing` (the helpers test cells import; it imports
    nothing of ours) importable in the trusted kernel: sent as source where the kernel
    cannot import it (a sandbox mounts no checkout of this package), left alone where it
    can."""
    answers = (testing / "answers.py").read_text(encoding="utf-8")
    package = (testing / "__init__.py").read_text(encoding="utf-8")
    return (
        "def __autograder_testing(answers, package):\n"
        "    import sys, types\n"
        "    try:\n"
        "        import autograder.testing\n"
        "        return\n"
        "    except ImportError:\n"
        "        for name in [n for n in sys.modules if n.split('.')[0] == 'autograder']:\n"
        "            del sys.modules[name]\n"
        "    for name, source, is_package in (\n"
        "        ('autograder', '', True),\n"
        "        ('autograder.testing.answers', answers, False),\n"
        "        ('autograder.testing', package, True),\n"
        "    ):\n"
        "        module = types.ModuleType(name)\n"
        "        if is_package:\n"
        "            module.__path__ = []\n"
        "        sys.modules[name] = module\n"
        "        exec(compile(source, f'<{name}>', 'exec'), module.__dict__)\n"
        "    sys.modules['autograder'].testing = sys.modules['autograder.testing']\n"
        f"__autograder_testing({answers!r}, {package!r})\n"
        "del __autograder_testing\n"
    )


TESTING_PROGRAM = _testing_program(Path(__file__).parents[1] / "testing")
"""Made once, like KERNEL_SOURCE: every submission's trusted kernel runs it."""
