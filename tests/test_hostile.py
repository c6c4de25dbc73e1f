"""Hostile submissions: isolation, resource abuse and every tampering route of issue 7.

One grading run (module scope) of an assignment whose test uses `math.isclose`;
each test checks what one submission could or could not do. Needs the sandbox
(bubblewrap, root): CI installs it.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from pathlib import Path, PurePosixPath

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.grading import store
from autograder.runtime.sandbox import INSIDE_HOME, readonly_paths, unavailable_reason
from tests.conftest import invoker
from tests.factory import KERNELSPEC, _meta, course_config, make_repo, save, score, write_config

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        unavailable_reason() is not None and not __import__("os").environ.get("CI"),
        reason=f"sandbox unavailable: {unavailable_reason()}",
    ),
]

AREA = 'def area(r):\n    """Area of a circle of radius r."""\n'
RIGHT_AREA = AREA + "    return math.pi * r ** 2"
WRONG_AREA = AREA + "    return 0.0"
DOUBLE = 'def double(x):\n    """Twice x."""\n    return 2 * x'
PROBE_MARK = "PROBE"
TMP_MARK = f"/tmp/autograder-probe-{uuid.uuid4().hex}"


def leading_folders() -> dict[str, list[str]]:
    """Each folder of the grader's on the way to a folder kernels see read-only (the
    Python installation: a venv inside the checkout, the interpreter under /root), with
    all a kernel may find in it: the next folders on the way, nothing of the grader's."""
    shown = [PurePosixPath(p) for p in (*readonly_paths(), INSIDE_HOME)]
    folders = {parent for path in readonly_paths() for parent in PurePosixPath(path).parents}
    return {
        str(f): sorted({p.relative_to(f).parts[0] for p in shown if p != f and p.is_relative_to(f)})
        for f in sorted(folders - {PurePosixPath("/")})
    }


def source() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Circles", metadata=_meta("intro", locked=True)),
        new_code_cell("import math", metadata=_meta("setup", locked=True)),
        new_code_cell(
            AREA + "    ### BEGIN SOLUTION\n    return math.pi * r ** 2\n    ### END SOLUTION",
            metadata=_meta("area", solution=True),
        ),
        new_code_cell(
            'assert math.isclose(area(2), 4 * math.pi), "area(2) should be 4π"\n'
            "### BEGIN HIDDEN TESTS\n"
            'assert math.isclose(area(1), math.pi), "area(1) should be π"\n'
            "### END HIDDEN TESTS",
            metadata=_meta("test_area", grade=True, locked=True, points=2),
        ),
        new_code_cell(
            'def double(x):\n    """Twice x."""\n    ### BEGIN SOLUTION\n    return 2 * x\n'
            "    ### END SOLUTION",
            metadata=_meta("double", solution=True),
        ),
        new_code_cell(
            'assert double(3) == 6, "double(3) should be 6"',
            metadata=_meta("test_double", grade=True, locked=True, points=1),
        ),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def submission(area_code: str, extra: str | None = None) -> nbformat.NotebookNode:
    notebook = source()
    notebook.cells[2].source = area_code
    notebook.cells[4].source = DOUBLE
    if extra is not None:
        notebook.cells.insert(3, new_code_cell(extra))
    return notebook


def probe(root: Path, port: int) -> str:
    course = root / "assignments/demo"
    return f"""
import json, os, socket
obs = {{"uid": os.getuid()}}
obs["gradebook"] = os.path.exists({str(course / "gradebook.db")!r})
obs["hidden_tests"] = os.path.exists({str(course / "source/a1/circles.ipynb")!r})
obs["other_student"] = os.path.exists({str(course / "submitted/right/a1/circles.ipynb")!r})
obs["home"] = sorted(os.listdir("/root")) if os.path.isdir("/root") else None
obs["leading"] = {{f: sorted(os.listdir(f)) for f in {list(leading_folders())!r}}}
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    obs["network"] = "open"
except OSError:
    obs["network"] = "blocked"
try:
    open("/usr/pwned", "w")
    obs["system"] = "writable"
except OSError:
    obs["system"] = "read-only"
open({TMP_MARK!r}, "w").write("x")
open("left-behind.txt", "w").write("x")
print({PROBE_MARK!r} + json.dumps(obs))
"""


HOSTILE = {
    # name: (area code, extra cell, expected score out of 3)
    "right": (RIGHT_AREA, None, 3),
    "patch_module": (WRONG_AREA, "import math\nmath.isclose = lambda *a, **k: True", 1),
    # The cell ends in an error, so its reply carries no guard check: one of its own runs.
    "patch_then_raise": (
        WRONG_AREA,
        "import math\nmath.isclose = lambda *a, **k: True\nraise RuntimeError('no check')",
        1,
    ),
    "silence_errors": (
        WRONG_AREA,
        "import IPython.core.interactiveshell as s\n"
        "s.InteractiveShell.showtraceback = lambda *a, **k: None",
        1,
    ),
    "ast_transformer": (
        WRONG_AREA,
        "import ast\nclass NoAsserts(ast.NodeTransformer):\n"
        "    def visit_Assert(self, node):\n        return ast.Pass()\n"
        "get_ipython().ast_transformers.append(NoAsserts())",
        1,
    ),
    "forge_replies": (  # the shell is left alone; the reply path lies instead
        WRONG_AREA,
        "import ipykernel.ipkernel as k\n"
        "from jupyter_client.session import Session\n"
        "real_send = Session.send\n"
        "def quiet_send(self, stream, msg_or_type, *a, **kw):\n"
        "    kind = msg_or_type if isinstance(msg_or_type, str) else "
        "msg_or_type['header']['msg_type']\n"
        "    return None if kind == 'error' else real_send(self, stream, msg_or_type, *a, **kw)\n"
        "Session.send = quiet_send\n"
        "real = k.IPythonKernel.do_execute\n"
        "async def always_ok(self, *a, **kw):\n"
        "    reply = await real(self, *a, **kw)\n"
        "    reply['status'] = 'ok'\n"
        "    return reply\n"
        "k.IPythonKernel.do_execute = always_ok",
        1,
    ),
    "exit_early": (WRONG_AREA, "import os\nos._exit(0)", 0),
    # Straight to the kernel's own stderr (ipykernel's fileno()), past its output capture.
    "stderr_then_exit": (
        RIGHT_AREA,
        "import os, sys\nos.write(sys.stderr.fileno(), b'x' * 20000 + "
        "b'\\n[bold]why[/] \\x1b[2Jcleared\\nEND-OF-STDERR\\n')\nos._exit(7)",
        0,
    ),
    "print_pass": (WRONG_AREA, "print('All tests passed! 3/3')", 1),
    "write_files": (
        RIGHT_AREA,
        "open('circles.ipynb', 'w').write('{}')\nopen('timestamp.txt', 'w').write('2000-01-01')",
        3,
    ),
    "memory_hog": (
        RIGHT_AREA,
        "try:\n    x = bytearray(3 * 1024**3)\nexcept MemoryError:\n    print('MEMORY-LIMIT')",
        3,
    ),
    "fork_bomb": (
        RIGHT_AREA,
        "import os, time\nchildren = 0\ntry:\n    for _ in range(500):\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n"
        "        children += 1\n"
        "except OSError:\n    print('FORK-LIMIT', children)",
        3,
    ),
    "output_flood": (RIGHT_AREA, "for _ in range(200):\n    print('x' * 100_000)", 3),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_repo(tmp_path_factory.mktemp("hostile") / "repo", notebook=source())
    (root / "assignments/demo/source/a1/demo.ipynb").rename(
        root / "assignments/demo/source/a1/circles.ipynb"
    )
    config = course_config()
    config["assignments"][0]["notebooks"] = [
        {"file": "circles.ipynb", "points": {"test_area": 2, "test_double": 1}}
    ]
    config["assignments"][0]["limits"] = {
        "cell_timeout": 10,
        "notebook_timeout": 60,
        "memory_mb": 1024,
        "max_processes": 64,
        "max_output_kb": 64,
    }
    write_config(root, config)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    threading.Thread(target=lambda: listener.accept(), daemon=True).start()
    folder = root.parent / "class"
    for name, (area_code, extra, _) in HOSTILE.items():
        save(submission(area_code, extra), folder / name / "circles.ipynb")
    save(submission(RIGHT_AREA, probe(root, port)), folder / "probe" / "circles.ipynb")
    edited = submission(WRONG_AREA)
    edited.cells[3].source = "assert True"
    save(edited, folder / "edit_test" / "circles.ipynb")
    moved = submission(RIGHT_AREA)
    moved.cells.insert(0, moved.cells.pop(5))  # test_double first, before double exists
    save(moved, folder / "reorder" / "circles.ipynb")
    result = invoker(root)("grade", "demo", "a1", str(folder), "--workers", "2")
    listener.close()
    db = f"sqlite:///{root / 'assignments/demo/gradebook.db'}"
    return {"root": root, "result": result, "db": db, "records": store.load(db, "a1")}


def outputs(run: dict, student: str) -> str:
    path = run["root"] / f"assignments/demo/autograded/{student}/a1/circles.ipynb"
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(
        o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs
    )


def test_grading_run_completes(run: dict) -> None:
    assert run["result"].exit_code == 0, run["result"].output


@pytest.fixture(scope="module")
def observed(run: dict) -> dict:
    line = next(x for x in outputs(run, "probe").splitlines() if x.startswith(PROBE_MARK))
    return json.loads(line[len(PROBE_MARK) :])


def test_kernel_runs_as_non_root(observed: dict) -> None:
    assert observed["uid"] != 0


@pytest.mark.parametrize("secret", ["gradebook", "hidden_tests", "other_student"])
def test_course_files_are_out_of_reach(observed: dict, secret: str) -> None:
    assert observed[secret] is False


def test_teachers_home_is_out_of_reach(observed: dict) -> None:
    # Only the way to the Python installation may show, where it lives under /root (a
    # venv inside a checkout there, the interpreter it was made from): as empty folders.
    python = [Path(p) for p in readonly_paths() if Path(p).is_relative_to("/root")]
    allowed = sorted({p.relative_to("/root").parts[0] for p in python})
    assert observed["home"] == (allowed if python else None)


def test_the_way_to_python_shows_nothing_of_the_graders_folders(observed: dict) -> None:
    """What a kernel may see of the grader's filesystem beyond /usr and /etc: the Python
    installation's own folders. The folders on the way to them (the checkout holding the
    venv, the teacher's home) hold nothing else: no course, gradebook, source or tests."""
    assert observed["leading"] == leading_folders()


def test_no_network_not_even_loopback(observed: dict) -> None:
    assert observed["network"] == "blocked"


def test_system_is_read_only(observed: dict) -> None:
    assert observed["system"] == "read-only"


def test_tmp_is_private(run: dict) -> None:
    assert not Path(TMP_MARK).exists()


def test_files_written_stay_with_the_graded_copy(run: dict) -> None:
    assert (run["root"] / "assignments/demo/autograded/probe/a1/left-behind.txt").is_file()
    assert not (run["root"].parent / "class/probe/left-behind.txt").exists()


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_score_is_what_the_real_answers_earn(run: dict, student: str) -> None:
    assert score(run, student) == HOSTILE[student][2]


@pytest.mark.parametrize(
    "student",
    ["patch_module", "patch_then_raise", "silence_errors", "ast_transformer", "forge_replies"],
)
def test_tampering_is_reported(run: dict, student: str) -> None:
    record = run["records"][student]
    assert record.status == store.TAMPER
    assert any(m.startswith("tampering:") for m in record.messages)


def test_patched_function_is_named(run: dict) -> None:
    assert "math.isclose" in "\n".join(run["records"]["patch_module"].messages)


def test_a_kernel_that_dies_says_why_in_plain_bounded_text(run: dict) -> None:
    """Its exit status and the end of its stderr, as written (no markup, no terminal
    sequences), a few KB at most, in the messages the grade table shows."""
    messages = run["records"]["stderr_then_exit"].messages
    report = next(m for m in messages if "the kernel exited with status 7" in m)
    assert report.endswith("[bold]why[/] \\x1b[2Jcleared\nEND-OF-STDERR")
    assert "\x1b" not in report
    assert len(report) < 5000
    assert "[bold]why[/]" in run["result"].output  # the table printed it, uninterpreted


def test_exiting_early_fails_the_tests_that_did_not_run(run: dict) -> None:
    text = "\n".join(run["records"]["exit_early"].messages)
    assert "stopped its kernel" in text
    assert "TestNotRun" in text


def test_honest_submission_is_not_flagged(run: dict) -> None:
    assert run["records"]["right"].status == store.GRADED
    assert run["records"]["probe"].status == store.GRADED


def test_edited_test_cell_is_overwritten(run: dict) -> None:
    assert score(run, "edit_test") == 1


def test_moved_test_cell_is_graded_in_the_teachers_order(run: dict) -> None:
    assert score(run, "reorder") == 3
    assert "graded in the teacher's order" in "\n".join(run["records"]["reorder"].messages)


def test_files_named_like_grader_inputs_are_ignored(run: dict) -> None:
    graded = run["root"] / "assignments/demo/autograded/write_files/a1/circles.ipynb"
    assert nbformat.read(graded, as_version=4).cells  # the real graded notebook, not "{}"
    assert not (run["root"] / "assignments/demo/autograded/write_files/a1/timestamp.txt").exists()


def test_memory_limit_stops_a_hog(run: dict) -> None:
    assert "MEMORY-LIMIT" in outputs(run, "memory_hog")


def test_process_limit_stops_a_fork_bomb(run: dict) -> None:
    text = outputs(run, "fork_bomb")
    assert "FORK-LIMIT" in text
    assert int(text.split("FORK-LIMIT")[1].split()[0]) < 64


def test_output_flood_is_cut(run: dict) -> None:
    text = outputs(run, "output_flood")
    assert "output cut by the grader" in text
    path = run["root"] / "assignments/demo/autograded/output_flood/a1/circles.ipynb"
    assert path.stat().st_size < 2_000_000
