"""The trusted kernel's decisions: which names a test gets from the student's namespace,
which of the teacher's read-only cells run there too, and how a test's writes to the
student's names are mirrored. (Grading through both kernels: test_trusted_tests.py.)"""

from __future__ import annotations

import ast
from types import SimpleNamespace
from typing import Any

import pytest
from nbformat.v4 import new_code_cell

from autograder.course.cells import CellKind
from autograder.runtime.trusted import STUDENT_SIDE_MARK, TeacherCells, cell_kind
from autograder.runtime.trusted_kernel import MIRROR, MirrorWrites, Trusted, read_names
from tests.factory import _meta


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("assert area(2) == 4", {"area"}),
        ("import math\nassert math.isclose(area(1), math.pi)", {"area"}),
        ("saved = f\ndel f\nf = saved", {"f", "saved"}),  # read before it is written
        ("assert all(check(x) for x in cases)", {"all", "check", "cases"}),
        ("def helper(n):\n    return solve(n) + n\nassert helper(1)", {"helper", "solve"}),
        ("class T:\n    size = SIZE\n", {"SIZE"}),
        ("def broken(:\n    pass", set()),
    ],
)
def test_the_names_a_test_reads(source: str, names: set[str]) -> None:
    assert read_names(source) == names


def _mirrored(source: str, bound: set[str]) -> str:
    trusted: Any = SimpleNamespace(bound=dict.fromkeys(bound))
    tree = MirrorWrites(trusted).visit(ast.parse(source))
    return ast.unparse(tree)


def test_deleting_and_rebinding_a_students_name_is_mirrored() -> None:
    code = _mirrored(
        "saved = squares\ndel squares\ntry:\n    total(1)\nexcept NameError:\n    pass\n"
        "finally:\n    squares = saved",
        {"squares", "total"},
    )
    assert f"del squares\n{MIRROR}.delete('squares')" in code
    assert f"squares = saved\n    {MIRROR}.assign('squares', squares)" in code
    assert "saved = squares\ndel" in code  # the test's own name is not mirrored


def test_names_of_the_tests_own_are_not_mirrored() -> None:
    assert MIRROR not in _mirrored("result = solve(3)\nresult += 1", {"solve"})
    assert MIRROR not in _mirrored("x = 1", set())


def _cell(source: str, grade_id: str, **flags: Any) -> Any:
    return new_code_cell(source, metadata=_meta(grade_id, **flags))


def test_only_the_teachers_unchanged_cells_run_in_the_trusted_kernel() -> None:
    teacher = TeacherCells(
        {
            "setup": (CellKind.READ_ONLY, "import math"),
            "test_area": (CellKind.TEST, "assert area(1) == 3"),
            "area": (CellKind.ANSWER, "def area(r): ..."),
        }
    )
    assert cell_kind(teacher, _cell("import math", "setup", locked=True)) is CellKind.READ_ONLY
    test = _cell("assert area(1) == 3", "test_area", grade=True, locked=True, points=1)
    assert cell_kind(teacher, test) is CellKind.TEST
    changed = _cell("assert True", "test_area", grade=True, locked=True, points=1)
    assert cell_kind(teacher, changed) is None  # not the teacher's source
    made_up = _cell("import math", "test_mine", grade=True, locked=True, points=1)
    assert cell_kind(teacher, made_up) is None  # not the teacher's cell
    assert cell_kind(teacher, _cell("def area(r): ...", "area", solution=True)) is None


def test_a_read_only_cell_marked_student_side_stays_in_the_students_kernel() -> None:
    source = f"{STUDENT_SIDE_MARK}\ndef make_env():\n    return gym.make('CliffWalking-v1')"
    teacher = TeacherCells({"envs": (CellKind.READ_ONLY, source)})
    assert cell_kind(teacher, _cell(source, "envs", locked=True)) is None


class _Shell:
    def __init__(self) -> None:
        self.user_ns: dict[str, object] = {"math": object()}
        self.ran: list[str] = []

    def transform_cell(self, source: str) -> str:
        return source

    def run_cell(self, source: str, **kwargs: object) -> None:
        self.ran.append(source)


def test_a_read_only_cell_runs_in_the_trusted_kernel_only_if_it_needs_nothing_else() -> None:
    trusted = Trusted.__new__(Trusted)
    trusted.shell = _Shell()
    assert trusted.maybe_run("X = math.pi * 2\ndef helper():\n    return X") is True
    assert trusted.maybe_run("X, y = load()\nX = X[y > 0]") is False  # load: not defined
    assert trusted.maybe_run("model = build_model()") is False  # the student's function
    assert trusted.shell.ran == ["X = math.pi * 2\ndef helper():\n    return X"]


class _Client:
    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []

    def assign(self, name: str, value: object) -> None:
        self.sent.append((name, value))


def test_a_tests_data_never_reaches_the_students_namespace() -> None:
    """`expected = 42` in a hidden test must not rebind a student's `expected`; putting
    back the student's own object, or a stand-in function of the test's, does go."""
    from autograder.runtime.boundary.handles import Remote
    from autograder.runtime.trusted_kernel import StudentNamespace

    client = _Client()
    trusted: Any = SimpleNamespace(
        bound={},
        client=lambda: client,
        boundary=SimpleNamespace(handles=SimpleNamespace(Remote=Remote)),
    )
    writer = StudentNamespace(trusted)
    own = Remote(SimpleNamespace(forget=lambda handle_id: None), 1, "list")  # type: ignore[arg-type]
    writer.assign("expected", 42)
    writer.assign("table", [1, 2])
    writer.assign("squares", own)
    writer.assign("helper", len)
    assert [name for name, _ in client.sent] == ["squares", "helper"]
