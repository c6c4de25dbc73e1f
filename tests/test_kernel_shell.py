"""The fork server's savings on IPython's per-cell work change nothing a notebook sees.

Each check runs in a fresh Python, since the savings patch IPython's shell class.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def run_in_spared_shell(body: str) -> str:
    script = textwrap.dedent(
        """
        from autograder.runtime.kernel_forkserver_main import spare_the_shell_work_grading_discards
        spare_the_shell_work_grading_discards()
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        """
    ) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_magics_and_a_transformer_added_between_cells_still_apply() -> None:
    out = run_in_spared_shell(
        """
        shell.run_cell("%env AUTOGRADER_MARK=on")
        shell.run_cell("value = SEVEN", store_history=True)  # a NameError, before ...
        shell.user_expressions(  # (no cell between: nothing else is transformed)
            {"added": "get_ipython().input_transformers_post.append("
             "lambda lines: [line.replace('SEVEN', '7') for line in lines])"}
        )
        shell.run_cell("value = SEVEN", store_history=True)  # ... and after the transformer
        import os
        print("RESULT", os.environ.get("AUTOGRADER_MARK"), shell.user_ns.get("value"))
        """
    )
    assert "RESULT on 7" in out


def test_errors_still_show_ipythons_traceback() -> None:
    out = run_in_spared_shell(
        """
        shell.run_cell("%colors nocolor")
        result = shell.run_cell("def f():\\n    return 1 / 0\\nf()", store_history=True)
        print("RESULT", type(result.error_in_exec).__name__)
        """
    )
    assert "RESULT ZeroDivisionError" in out
    assert "----> 3 f()" in out  # IPython's own format, with the failing line marked


def test_a_cell_that_awaits_at_top_level_still_runs_as_a_coroutine() -> None:
    out = run_in_spared_shell(
        """
        import asyncio
        shell.run_cell("import asyncio\\nvalue = await asyncio.sleep(0, result=7)")
        shell.run_cell("plain = 8")
        print("RESULT", shell.user_ns.get("value"), shell.user_ns.get("plain"))
        """
    )
    assert "RESULT 7 8" in out


def test_the_guards_dict_versions_change_with_every_change_to_a_module() -> None:
    import types

    from autograder.runtime.kernel_forkserver_main import dict_version_reader

    version = dict_version_reader()
    assert version is not None  # CPython 3.10-3.13 keep one: the guard's fast check is on
    module = types.ModuleType("probe")
    space = vars(module)
    before = version(space)
    module.allclose = print
    patched = version(space)
    assert version(space) == patched != before
    vars(module)["allclose"] = len
    assert version(space) != patched


EDGE_CELLS = [
    "x = 1",
    "%time x = 1",
    "x = %time f()",
    "x = !ls",
    "y = \\\n  !ls",
    "!ls",
    "!!ls",
    "?x",
    "x?",
    "x??",
    "%%bash\necho hi",
    ",f a b",
    ";f a b",
    "/f a",
    "  x = 1\n  y = 2",
    "\nx = 1",
    "x = 1\n   \ny = 2",
    ">>> x = 1\n... y = 2",
    "In [1]: x = 1",
    "x = 1\r\ny = 2",
    "x = 1\x0cy = 2",
    "y = x[..., 0]",
    "s = 'what?'",
    "a != b",
    "'%d' % 3",
    "def f():\n    return 1\n",
    "x = (1,\n     2)",
    "if a:\n    pass\nelse:\n    pass",
    "print('a')  # a comment!",
    "x = f(a=\n!ls)",
]


def test_plain_python_cells_skip_tokenizing_and_come_out_as_ipython_makes_them() -> None:
    """Every code cell of the course's notebooks, the book and nbgrader's own test
    notebooks, and cells with each kind of IPython syntax."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
            import json, sys
            from IPython.core.inputtransformer2 import TransformerManager
            from autograder.runtime import kernel_forkserver_main as forkserver_main
            cells = json.load(sys.stdin)
            manager = TransformerManager()
            expected = [manager.transform_cell(cell) for cell in cells]
            forkserver_main.skip_tokenizing_plain_python()
            got = [manager.transform_cell(cell) for cell in cells]
            skipped = sum(not forkserver_main.MIGHT_TRANSFORM.search(c) for c in cells)
            print(json.dumps({"differ": [c for c, e, g in zip(cells, expected, got) if e != g],
                              "skipped": skipped, "cells": len(cells)}))
            """
            ),
        ],
        input=json.dumps(_corpus()),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found["differ"] == []
    assert found["skipped"] > found["cells"] / 2  # most cells really take the short way


def _corpus() -> list[str]:
    import re
    from pathlib import Path

    import nbformat

    root = Path(__file__).resolve().parents[1]
    cells = list(EDGE_CELLS)
    notebooks = [*root.glob("assignments/*/source/*/*.ipynb")]
    notebooks += (root.parent / "shared" / "peer").rglob("*.ipynb")
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        cells += [c.source for c in notebook.cells if c.cell_type == "code" and c.source]
    for path in root.glob("book/*/*.md"):
        cells += re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", path.read_text(), re.DOTALL)
    return cells
