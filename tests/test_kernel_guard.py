"""The guard's code as it runs in a kernel (runtime/kernel_guard.py), run here in-process.

Modules and builtins are checked on scratch namespaces standing in for sys.modules and
builtins, with and without CPython's dict versions (the fast path and the fallback).
IPython's part is checked in a fresh Python, installed as the grader installs it: from
the source text, in a namespace of its own (the checks patch IPython's classes).
tests/test_hostile.py checks the same in sandboxed kernels, through whole gradings.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autograder.runtime import kernel_guard
from autograder.runtime.guard import ANSWER_LIMIT, KERNEL_SOURCE, Guard, parse_answer
from autograder.runtime.kernel_forkserver_main import dict_version_reader
from autograder.runtime.kernel_guard import Builtins, Modules, answer

VERSIONS = {"dict versions": dict_version_reader(), "no dict versions": None}


def tool() -> str:
    return "the library's own"


def other_tool() -> str:
    return "the library's other"


def scratch_module(name: str) -> types.ModuleType:
    """A module of a package named like its first part, holding `tool`, `other_tool`
    (both its own, as a library's functions are) and a constant."""
    module = types.ModuleType(name)
    for function in (tool, other_tool):
        own = types.FunctionType(function.__code__, {}, function.__name__)
        own.__module__ = name
        setattr(module, function.__name__, own)
    module.LIMIT = 3
    return module


@pytest.fixture(params=sorted(VERSIONS))
def version(request: pytest.FixtureRequest) -> Callable[[dict[str, Any]], int] | None:
    if request.param == "dict versions" and VERSIONS[request.param] is None:
        pytest.skip("this Python keeps no version on its dicts")
    return VERSIONS[request.param]


@pytest.fixture
def loaded() -> dict[str, Any]:
    """Stands in for sys.modules."""
    return {"scratchlib.core": scratch_module("scratchlib.core"), "sys": sys}


def check(modules: Modules) -> list[str]:
    found: list[str] = []
    modules.restore(found)
    modules.remember_new()
    return found


def test_a_function_patched_by_the_notebook_is_put_back_and_named(
    loaded: dict[str, Any], version: Callable[[dict[str, Any]], int] | None
) -> None:
    modules = Modules(loaded, version=version)
    modules.remember_new()
    core = loaded["scratchlib.core"]
    original = core.tool
    core.tool = lambda: "always right"
    assert check(modules) == ["scratchlib.core.tool"]
    assert core.tool is original
    assert check(modules) == []  # judged as it is now: nothing more to report


def test_a_change_after_a_check_is_caught_by_the_next(
    loaded: dict[str, Any], version: Callable[[dict[str, Any]], int] | None
) -> None:
    modules = Modules(loaded, version=version)
    modules.remember_new()
    core = loaded["scratchlib.core"]
    assert check(modules) == []
    core.other_tool = print  # from another package (builtins)
    assert check(modules) == ["scratchlib.core.other_tool"]
    assert core.other_tool() == "the library's other"


def test_what_a_notebook_defines_counts_even_under_the_librarys_name(
    loaded: dict[str, Any], version: Callable[[dict[str, Any]], int] | None
) -> None:
    modules = Modules(loaded, version=version)
    modules.remember_new()
    core = loaded["scratchlib.core"]

    def tool() -> str:  # defined in a notebook: its module is __main__
        return "always right"

    tool.__module__ = "__main__"
    core.tool = tool
    assert check(modules) == ["scratchlib.core.tool"]
    assert core.tool() == "the library's own"


def test_a_library_rebinding_its_own_functions_is_left_alone(
    loaded: dict[str, Any], version: Callable[[dict[str, Any]], int] | None
) -> None:
    """numpy rebinds some of its functions after import; so may any library."""
    modules = Modules(loaded, version=version)
    modules.remember_new()
    core = loaded["scratchlib.core"]
    own = scratch_module("scratchlib.fast").tool  # the same package's
    core.tool = own
    core.LIMIT = 4  # not callable: a value, not how the tests run
    core.added = lambda: None  # new: nothing of the tests' uses it
    assert check(modules) == []
    assert core.tool is own
    assert core.LIMIT == 4


def test_a_module_replaced_in_sys_modules_is_put_back(
    loaded: dict[str, Any], version: Callable[[dict[str, Any]], int] | None
) -> None:
    modules = Modules(loaded, version=version)
    modules.remember_new()
    core = loaded["scratchlib.core"]
    loaded["scratchlib.core"] = types.ModuleType("scratchlib.core")
    assert check(modules) == ["sys.modules['scratchlib.core']"]
    assert loaded["scratchlib.core"] is core


def test_a_module_loaded_later_is_watched_once_remembered(
    loaded: dict[str, Any], version: Callable[[dict[str, Any]], int] | None
) -> None:
    modules = Modules(loaded, version=version)
    modules.remember_new()
    later = loaded["scratchlib.later"] = scratch_module("scratchlib.later")
    modules.remember_new()  # the pre_execute callback, before the next cell
    later.tool = lambda: "always right"
    assert check(modules) == ["scratchlib.later.tool"]
    assert later.tool() == "the library's own"


def test_unwatched_and_non_module_entries_are_skipped(
    loaded: dict[str, Any], version: Callable[[dict[str, Any]], int] | None
) -> None:
    loaded["__main__"] = types.ModuleType("__main__")
    loaded["not_a_module"] = object()
    modules = Modules(loaded, version=version)
    modules.remember_new()
    assert sorted(modules.pictures) == ["scratchlib.core"]


def picture(module: types.ModuleType, version: Callable[[dict[str, Any]], int] | None) -> Any:
    space = vars(module)
    return (module, tuple(space), tuple(space.values()), version(space) if version else None)


def test_a_change_the_kernels_start_made_is_not_the_notebooks(
    loaded: dict[str, Any], version: Callable[[dict[str, Any]], int] | None
) -> None:
    """The fork server pictures its modules once for all its kernels; what a kernel's
    own start changes since, before any notebook code, is taken as it is."""
    core = loaded["scratchlib.core"]
    pictures = {"scratchlib.core": picture(core, version)}
    started = core.tool = lambda: "set by the kernel's start"
    modules = Modules(loaded, pictures, version)
    modules.forget_changed()
    assert modules.pictures == {}
    modules.remember_new()
    assert check(modules) == []
    assert core.tool is started


def test_the_fork_servers_picture_of_an_unchanged_module_is_kept(
    loaded: dict[str, Any], version: Callable[[dict[str, Any]], int] | None
) -> None:
    core = loaded["scratchlib.core"]
    pictured = picture(core, version)
    modules = Modules(loaded, {"scratchlib.core": pictured}, version)
    modules.forget_changed()
    assert modules.pictures["scratchlib.core"] is pictured
    core.tool = lambda: "always right"
    assert check(modules) == ["scratchlib.core.tool"]


def test_builtins_are_put_back_except_those_ipython_rebinds() -> None:
    space: dict[str, Any] = {"print": print, "len": len, "display": print}
    watched = Builtins(space)
    space["len"] = lambda value: 0
    space["display"] = repr
    found: list[str] = []
    watched.restore(found)
    assert found == ["builtins.len"]
    assert space["len"] is len
    assert space["display"] is repr


def test_the_answer_is_bounded_and_the_grader_reads_it() -> None:
    """A notebook decides how many findings there are and how long their names are."""
    found = [f"scratchlib.m{i}.{'x' * 300}" for i in range(500)]
    text = repr(answer(found))
    assert len(text) <= ANSWER_LIMIT
    read = parse_answer(text)
    assert read is not None
    assert len(read) == kernel_guard.MOST_FINDINGS
    assert read[-1] == "301 more"
    assert all(len(f) <= kernel_guard.LONGEST_FINDING for f in read)
    assert parse_answer(repr(answer(["b", "a", "b"]))) == ["a", "b"]


def test_the_kernels_copy_imports_only_what_a_kernel_has() -> None:
    """The sandbox shows the kernel the Python installation, not this package: the
    guard may import only the standard library and IPython."""
    tree = ast.parse(KERNEL_SOURCE)
    imported = {
        alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names
    }
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    outside = {
        name
        for name in imported
        if name.split(".")[0] not in (*sys.stdlib_module_names, "__future__", "IPython")
    }
    assert outside == set()
    assert Path(kernel_guard.__file__).read_text() == KERNEL_SOURCE


SHELL_SCRIPT = """
import builtins, json, sys
from IPython.core.interactiveshell import InteractiveShell
from autograder.runtime.guard import Guard

shell = InteractiveShell.instance()
guard = Guard()
before = set(shell.user_ns)
installed = shell.run_cell(guard.install_code, silent=True, store_history=False)
assert installed.success, installed.error_in_exec
result = {"left in the notebook": sorted(set(shell.user_ns) - before),
          "colorsys loaded before": "colorsys" in sys.modules}

def ask():
    reply = shell.user_expressions({"guard": guard.call_code})
    guard.findings = []
    guard.record({"content": {"user_expressions": reply}})
    return guard.findings

shell.run_cell("import colorsys")  # remembered before the next cell runs
shell.run_cell('''
import ast, builtins, colorsys, math
from IPython.core.interactiveshell import InteractiveShell
math.isclose = lambda *a, **k: True
colorsys.rgb_to_hsv = lambda *a: (0, 0, 0)
builtins.round = lambda *a: 0
InteractiveShell.showtraceback = lambda *a, **k: None
get_ipython().showsyntaxerror = lambda *a, **k: None
get_ipython().ast_transformers.append(ast.NodeTransformer())
get_ipython().events.callbacks["pre_execute"].clear()
get_ipython().custom_exceptions = (AssertionError,)
''')
result["first"] = ask()
import colorsys, math
result["restored"] = [
    math.isclose(1, 2) is False,
    colorsys.rgb_to_hsv(1, 0, 0) == (0.0, 1.0, 1.0),
    round(2.6) == 3,
    InteractiveShell.showtraceback.__module__ == "IPython.core.interactiveshell",
    "showsyntaxerror" not in vars(shell),
    shell.ast_transformers == [],
    len(shell.events.callbacks["pre_execute"]) > 0,
    shell.custom_exceptions == (),
]
result["second"] = ask()
print("RESULT" + json.dumps(result))
"""


def test_ipythons_machinery_is_put_back_and_named_in_a_shell() -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SHELL_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT"))
    result = json.loads(line[len("RESULT") :])
    assert result["left in the notebook"] == []
    assert result["colorsys loaded before"] is False
    assert result["first"] == [
        "IPython 'pre_execute' event callbacks",
        "IPython ast_transformers",
        "InteractiveShell.showtraceback (how cells run or results are reported)",
        "builtins.round",
        "colorsys.rgb_to_hsv",
        "custom exception handlers",
        "get_ipython().showsyntaxerror (how cells run or report errors)",
        "math.isclose",
    ]
    assert all(result["restored"]), result["restored"]
    assert result["second"] == []


def test_each_guard_has_its_own_name() -> None:
    first, second = Guard(), Guard()
    assert first.name != second.name
    assert first.name in first.install_code and second.name not in first.install_code
    assert first.call_code == f"{first.name}()"
