"""The verdict is out of the student's reach: tests run in a trusted kernel of their own.

Each route of the issue "Tamper-proof by design" is a cell a determined student adds to
the notebook, graded twice in one run: with the answers left blank (it must earn 0) and
with honest answers (it must earn full marks: the tampering neither helps nor gets in the
way of real work). The routes are classes of attack, each standing for many: patching the
kernel's machinery (by replacing code objects, from an audit hook, from a thread),
compiling asserts away, replacing the functions a test calls, rebinding the names a test
reads, redefining the teacher's helper, smuggling a cell in as a test, and answers built
to agree with every comparison. Needs the sandbox (bubblewrap, root): CI installs it.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.grading import store
from autograder.runtime.sandbox import unavailable_reason
from tests.conftest import invoker
from tests.factory import KERNELSPEC, _meta, course_config, make_repo, save, score, write_config

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        unavailable_reason() is not None and not __import__("os").environ.get("CI"),
        reason=f"sandbox unavailable: {unavailable_reason()}",
    ),
]

SETUP = '''import math


class Counting:
    """A graph whose neighbours the tests count: each node should be expanded once."""

    def __init__(self, graph):
        self.graph = graph
        self.calls = 0

    def neighbours(self, node):
        self.calls += 1
        return list(self.graph[node])
'''
AREA = 'def area(r):\n    """Area of a circle of radius r."""\n'
REACHABLE = 'def reachable(start, neighbours):\n    """Every node reachable from start."""\n'
HONEST_AREA = AREA + "    return math.pi * r ** 2\n"
HONEST_REACHABLE = REACHABLE + (
    "    seen, todo = {start}, [start]\n"
    "    while todo:\n"
    "        for node in neighbours(todo.pop()):\n"
    "            if node not in seen:\n"
    "                seen.add(node)\n"
    "                todo.append(node)\n"
    "    return sorted(seen)\n"
)
BLANK = "    raise NotImplementedError()\n"
HIDDEN_AREA = 'assert math.isclose(area(1), math.pi), "area(1) should be pi"'
HIDDEN_REACHABLE = "assert reachable(3, counter.neighbours) == list(range(7))"
FULL, POINTS = 4.0, {"test_area": 2, "test_reachable": 2}


def source() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Circles and graphs", metadata=_meta("intro", locked=True)),
        new_code_cell(SETUP, metadata=_meta("setup", locked=True)),
        new_code_cell(
            AREA + "    ### BEGIN SOLUTION\n    return math.pi * r ** 2\n    ### END SOLUTION",
            metadata=_meta("area", solution=True),
        ),
        new_code_cell(
            REACHABLE
            + "    ### BEGIN SOLUTION\n"
            + HONEST_REACHABLE.split('"""\n', 2)[-1]
            + "    ### END SOLUTION",
            metadata=_meta("reachable", solution=True),
        ),
        new_code_cell(
            'assert math.isclose(area(2), 4 * math.pi), "area(2) should be 4 pi"\n'
            f"### BEGIN HIDDEN TESTS\n{HIDDEN_AREA}\n### END HIDDEN TESTS",
            metadata=_meta("test_area", grade=True, locked=True, points=2),
        ),
        new_code_cell(
            "counter = Counting({0: [1], 1: [2], 2: [0], 3: [0]})\n"
            "assert reachable(0, counter.neighbours) == [0, 1, 2]\n"
            'assert counter.calls == 3, "each node should be expanded once"\n'
            "### BEGIN HIDDEN TESTS\n"
            "counter = Counting({i: [(i + 1) % 7, (2 * i) % 7] for i in range(7)})\n"
            f"{HIDDEN_REACHABLE}\n"
            'assert counter.calls == 7, "each node should be expanded once"\n'
            "### END HIDDEN TESTS",
            metadata=_meta("test_reachable", grade=True, locked=True, points=2),
        ),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def skip_asserts(name: str) -> str:
    """Source of a replacement for IPython's run_cell that runs a cell with asserts as
    `pass` (what a student wants of every test cell), defined in IPython's own module so
    that its code object can stand in for the real one's."""
    return (
        "import types\n"
        "from IPython.core import interactiveshell as shell_module\n"
        "S = shell_module.InteractiveShell\n"
        "real = S.run_cell\n"
        "shell_module.__dict__['_real_run_cell'] = types.FunctionType(\n"
        "    real.__code__, real.__globals__, 'real', real.__defaults__, real.__closure__)\n"
        f"def {name}(self, raw_cell, *args, **kwargs):\n"
        "    if 'assert' in raw_cell:\n"
        "        raw_cell = 'pass'\n"
        "    from IPython.core import interactiveshell\n"
        "    return interactiveshell._real_run_cell(self, raw_cell, *args, **kwargs)\n"
    )


ROUTES: dict[str, str] = {
    # Patched machinery that keeps every identity: the code object is swapped.
    "swap_run_cell_code": skip_asserts("fake") + "S.run_cell.__code__ = fake.__code__\n",
    "swap_do_execute_code": (
        "import ipykernel.ipkernel as k\n"
        "real = k.IPythonKernel.do_execute\n"
        "async def always_ok(self, *args, **kwargs):\n"
        "    reply = await real(self, *args, **kwargs)\n"
        "    reply['status'] = 'ok'\n"
        "    return reply\n"
        "k.IPythonKernel.do_execute = always_ok\n"
    ),
    # Things a guard in the student's process could not undo.
    "audit_hook_repatches": (
        "import math, sys\n"
        "def hook(event, args):\n"
        "    math.isclose = lambda *a, **k: True\n"
        "sys.addaudithook(hook)\n"
    ),
    "thread_repatches": skip_asserts("fake") + "import threading, time\n"
    "def again():\n"
    "    while True:\n"
    "        S.run_cell = fake\n"
    "        time.sleep(0.0002)\n"
    "threading.Thread(target=again, daemon=True).start()\n",
    "compile_without_asserts": (
        "compiler = type(get_ipython().compile)\n"
        "real = compiler.__call__\n"
        "def optimised(self, source, filename, symbol):\n"
        "    return compile(source, filename, symbol, self.flags | 0x0200, 1)\n"
        "compiler.__call__ = optimised\n"
    ),
    # Facts a guard trusted, and names a test reads.
    "isclose_claims_math": (
        "import math\n"
        "def isclose(*args, **kwargs):\n"
        "    return True\n"
        "isclose.__module__ = 'math'\n"
        "isclose.__qualname__ = 'isclose'\n"
        "math.isclose = isclose\n"
    ),
    "rebind_math": (
        "class _Math:\n"
        "    pi = 3.141592653589793\n"
        "    @staticmethod\n"
        "    def isclose(*args, **kwargs):\n"
        "        return True\n"
        "math = _Math()\n"
    ),
    "redefine_the_helper": (
        "class Counting:\n"
        "    def __init__(self, graph):\n"
        "        self.graph = graph\n"
        "    calls = property(lambda self: len(self.graph))\n"
        "    def neighbours(self, node):\n"
        "        return list(self.graph[node])\n"
    ),
    # A cell of the student's dressed as a test of the teacher's, which would patch the
    # tests' kernel if it ran there.
    "cell_dressed_as_a_test": "",
}
DRESSED = "import math\nmath.isclose = lambda *a, **k: True\nCounting.calls = 3"

FOOLING = (
    "class Agreeable(float):\n"
    "    def __eq__(self, other):\n"
    "        return True\n"
    "    __hash__ = float.__hash__\n"
    "    def __sub__(self, other):\n"
    "        return 0.0\n"
    "    def __array__(self, *args, **kwargs):\n"
    "        import numpy\n"
    "        return numpy.zeros(0)\n"
    "class AgreeableList(list):\n"
    "    def __eq__(self, other):\n"
    "        return True\n"
    "def area(r):\n"
    "    return Agreeable(0.0)\n"
    "def reachable(start, neighbours):\n"
    "    return AgreeableList()\n"
)

HUNT = (
    "def area(r):\n"
    "    import gc, linecache, sys\n"
    "    frames, frame = [], sys._getframe()\n"
    "    while frame is not None:\n"
    "        frames.append(frame.f_code.co_filename)\n"
    "        frame = frame.f_back\n"
    "    texts = [o for o in gc.get_objects() if isinstance(o, str)]\n"
    "    texts += [''.join(linecache.getlines(f)) for f in frames]\n"
    "    texts += list(globals().get('In', []))\n"
    "    FOUND.extend(t for t in texts if 'area(1), math.pi' in t and 'FOUND' not in t)\n"
    "    return math.pi * r ** 2\n"
    "FOUND = []\n"
)
HUNT_REPORT = "print('HIDDEN-SEEN' if FOUND else 'HIDDEN-UNSEEN', len(FOUND))"


def submission(area: str, reachable: str, extra: str | None = None) -> nbformat.NotebookNode:
    notebook = source()
    notebook.cells[2].source = area
    notebook.cells[3].source = reachable
    if extra is not None:
        notebook.cells.insert(4, new_code_cell(extra))
    return notebook


def dressed(area: str, reachable: str) -> nbformat.NotebookNode:
    notebook = submission(area, reachable)
    notebook.cells.insert(
        4, new_code_cell(DRESSED, metadata=_meta("test_mine", grade=True, locked=True, points=0))
    )
    return notebook


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_repo(tmp_path_factory.mktemp("trusted") / "repo", notebook=source())
    (root / "assignments/demo/source/a1/demo.ipynb").rename(
        root / "assignments/demo/source/a1/graphs.ipynb"
    )
    config = course_config()
    config["assignments"][0]["notebooks"] = [{"file": "graphs.ipynb", "points": POINTS}]
    config["assignments"][0]["limits"] = {"cell_timeout": 20, "notebook_timeout": 90}
    write_config(root, config)
    folder = root.parent / "class"
    for route, extra in ROUTES.items():
        for kind, area, reach in [
            ("blank", AREA + BLANK, REACHABLE + BLANK),
            ("honest", HONEST_AREA, HONEST_REACHABLE),
        ]:
            notebook = (
                dressed(area, reach)
                if route == "cell_dressed_as_a_test"
                else submission(area, reach, extra)
            )
            save(notebook, folder / f"{route}-{kind}" / "graphs.ipynb")
    save(submission(FOOLING, REACHABLE + BLANK), folder / "fooling" / "graphs.ipynb")
    hunt = submission(HUNT, HONEST_REACHABLE)
    hunt.cells.append(new_code_cell(HUNT_REPORT))
    save(hunt, folder / "hunt" / "graphs.ipynb")
    result = invoker(root)("grade", "demo", "a1", str(folder), "--workers", "2")
    db = f"sqlite:///{root / 'assignments/demo/gradebook.db'}"
    return {"root": root, "result": result, "db": db, "records": store.load(db, "a1")}


def test_grading_run_completes(run: dict) -> None:
    assert run["result"].exit_code == 0, run["result"].output


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_tampering_earns_nothing_without_the_answers(run: dict, route: str) -> None:
    assert score(run, f"{route}-blank") == 0, run["records"][f"{route}-blank"].messages


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_tampering_does_not_cost_honest_answers_their_marks(run: dict, route: str) -> None:
    assert score(run, f"{route}-honest") == FULL, run["records"][f"{route}-honest"].messages


def test_answers_built_to_agree_with_every_comparison_earn_nothing(run: dict) -> None:
    assert score(run, "fooling") == 0


def test_the_hidden_tests_never_enter_the_students_process(run: dict) -> None:
    assert score(run, "hunt") == FULL
    path = run["root"] / "assignments/demo/autograded/hunt/a1/graphs.ipynb"
    notebook = nbformat.read(path, as_version=4)
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    assert "HIDDEN-UNSEEN 0" in printed, printed


def test_a_cell_dressed_as_a_test_runs_as_the_students_and_is_reported(run: dict) -> None:
    record = run["records"]["cell_dressed_as_a_test-honest"]
    assert record.status == store.TAMPER, record.messages
    assert "claims grade id 'test_mine'" in "\n".join(record.messages)
