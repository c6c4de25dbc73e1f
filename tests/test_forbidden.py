"""`forbidden:`: what an assignment's answers may not use raises in the student's kernel,
however it is reached, and each use in an answer's source is named in the grade's messages;
the tests, in their own kernel, keep it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from pydantic import ValidationError

from autograder.course.config import Assignment
from autograder.course.forbidden import uses
from autograder.grading import store
from autograder.runtime.forbidden import install_code
from tests.conftest import invoker
from tests.factory import KERNELSPEC, _meta, course_config, make_repo, save, write_config

ROUTES = {
    "attribute": "import math\nresult = math.factorial(5)",
    "from-import": "from math import factorial\nresult = factorial(5)",
    "from-import alias": "from math import factorial as f\nresult = f(5)",
    "module alias": "import math as m\nresult = m.factorial(5)",
    "getattr": "import math\nresult = getattr(math, 'factorial')(5)",
    "import_module": "import importlib\nresult = importlib.import_module('math').factorial(5)",
    "__import__": "result = __import__('math').factorial(5)",
    "reload": "import importlib, math\nresult = importlib.reload(math).factorial(5)",
    "taken before": "import math\nf = math.factorial\nresult = f(5)",
    "forbidden module": "from fractions import Fraction\nresult = Fraction(1, 2)",
    "forbidden module, import_module": "import importlib\nimportlib.import_module('fractions')",
}


def run_forbidden(code: str) -> subprocess.CompletedProcess[str]:
    program = install_code(["math.factorial", "fractions"]) + code + "\nprint('RAN', result)\n"
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("code", ROUTES.values(), ids=ROUTES.keys())
def test_every_route_to_a_forbidden_thing_raises(code: str) -> None:
    ran = run_forbidden(code)
    assert "RAN" not in ran.stdout
    assert "ForbiddenError" in ran.stderr and "is not allowed in this assignment" in ran.stderr


def test_everything_else_keeps_working() -> None:
    ran = run_forbidden("import math\nresult = (math.comb(5, 2), math.sqrt(4))")
    assert "RAN (10, 2.0)" in ran.stdout, ran.stderr


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from math import factorial as f\nf(3)", [(1, "math.factorial")]),
        ("import math as m\nx = m.factorial(3)", [(2, "math.factorial")]),
        ("import math\ngetattr(math, 'factorial')", [(2, "math.factorial")]),
        ("import fractions.x", [(1, "fractions")]),
        ("__import__('importlib').import_module('fractions')", [(1, "fractions")]),
        ("import math\nmath.comb(3, 2)\nfactorials = 1", []),
        ("def f(:", []),
    ],
)
def test_the_source_scan_names_each_use_with_its_line(
    source: str, found: list[tuple[int, str]]
) -> None:
    assert uses(source, ["math.factorial", "fractions"]) == found


@pytest.mark.parametrize("name", ["math..factorial", "math.factorial()", "1math", ""])
def test_a_forbidden_entry_that_is_not_a_dotted_name_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        Assignment.model_validate(
            {"id": "a1", "title": "t", "notebooks": [{"file": "x.ipynb"}], "forbidden": [name]}
        )


OWN = (
    "    top = bottom = 1\n"
    "    for i in range(k):\n"
    "        top *= n - i\n"
    "        bottom *= i + 1\n"
    "    return top // bottom"
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, store.StudentResult]:
    cells = [
        new_code_cell("import math", metadata=_meta("setup", locked=True)),
        new_code_cell(
            "def combos(n, k):\n    ### BEGIN SOLUTION\n" + OWN + "\n    ### END SOLUTION",
            metadata=_meta("combos", solution=True),
        ),
        new_code_cell(
            "assert combos(5, 2) == math.factorial(5) // (math.factorial(2) * math.factorial(3))",
            metadata=_meta("test_combos", grade=True, locked=True, points=2),
        ),
    ]
    root = make_repo(
        tmp_path_factory.mktemp("forbidden") / "repo",
        notebook=new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}),
    )
    config = course_config()
    config["assignments"][0]["notebooks"] = [{"file": "demo.ipynb", "points": {"test_combos": 2}}]
    config["assignments"][0]["forbidden"] = ["math.factorial", "math.comb"]
    write_config(root, config)
    folder = root.parent / "class"
    answers = {
        "own": "def combos(n, k):\n" + OWN,
        "comb": "from math import comb as choose\ndef combos(n, k):\n    return choose(n, k)",
        "factorial": (
            "import math as m\ndef combos(n, k):\n"
            "    f = getattr(m, 'factorial')\n    return f(n) // (f(k) * f(n - k))"
        ),
    }
    for student, answer in answers.items():
        notebook = new_notebook(
            cells=[c.copy() for c in cells], metadata={"kernelspec": KERNELSPEC}
        )
        notebook.cells[1] = new_code_cell(answer, metadata=_meta("combos", solution=True))
        save(notebook, folder / student / "demo.ipynb")
    result = invoker(root)("grade", "demo", "a1", str(folder))
    assert result.exit_code == 0, result.output
    return store.load(f"sqlite:///{root / 'assignments/demo/gradebook.db'}", "a1")


@pytest.mark.sandbox
def test_an_answer_of_its_own_earns_the_points_while_the_tests_use_the_forbidden(
    graded: dict[str, store.StudentResult],
) -> None:
    assert graded["own"].score == 2, graded["own"].messages


@pytest.mark.sandbox
@pytest.mark.parametrize("student", ["comb", "factorial"])
def test_an_answer_using_the_forbidden_earns_nothing_and_is_told_where(
    graded: dict[str, store.StudentResult], student: str
) -> None:
    record = graded[student]
    assert record.score == 0
    text = "\n".join(record.messages)
    assert "ForbiddenError" in text
    assert "cell 'combos', line " in text and "which this assignment does not allow" in text
