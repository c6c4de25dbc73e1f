"""No hidden test line reaches a student's feedback page, whatever the notebook does.

Were the hidden tests run in the student's kernel, student code could read their source:
`In`, linecache, an audit hook on compile, an IPython callback kept alive by a thread.
Each route here is a correct submission that also tries to print the hidden tests where
the feedback page would show them; the page must show none of their lines. They run in
the tests' own kernel, so the routes find nothing; and an output that does hold a hidden
test's line (one a student guessed, say) is withheld from the page all the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell

from autograder.reporting.feedback import WITHHELD, canonical
from tests.conftest import invoker
from tests.factory import answered, make_repo, save, source_notebook

pytestmark = pytest.mark.sandbox

HIDDEN = [
    'assert add(-4, 4) == 0, "add(-4, 4) should be 0"',
    'assert mul(7, 0) == 0, "mul(7, 0) should be 0"',
]
ADD = "def add(a, b):\n    return a + b"
MUL = "def mul(a, b):\n    return a * b"
MUL_LINECACHE = (
    "LEAK = []\n"
    "def mul(a, b):\n"
    "    import linecache, sys\n"
    "    LEAK.append(''.join(linecache.getlines(sys._getframe(1).f_code.co_filename)))\n"
    "    return a * b"
)
AUDIT = (
    "import sys\n"
    "SEEN = []\n"
    "def _hook(event, args):\n"
    "    if event == 'compile' and args and isinstance(args[0], (str, bytes)):\n"
    "        SEEN.append(args[0] if isinstance(args[0], str) else args[0].decode())\n"
    "sys.addaudithook(_hook)\n" + ADD
)
CALLBACK_THREAD = (
    "import threading, time\n"
    "from IPython import get_ipython\n"
    "CELLS = []\n"
    "def _seen(info):\n"
    "    CELLS.append(info.raw_cell)\n"
    "def _keep():\n"
    "    shell = get_ipython()\n"
    "    while True:\n"
    "        if _seen not in shell.events.callbacks['pre_run_cell']:\n"
    "            shell.events.register('pre_run_cell', _seen)\n"
    "        time.sleep(0.0002)\n"
    "threading.Thread(target=_keep, daemon=True).start()\n" + ADD
)
ROUTES: dict[str, tuple[dict[str, str], str]] = {
    "input-history": ({}, 'print("\\n".join(In))'),
    "input-history-html": (
        {},
        "import html\nfrom IPython.display import HTML\n"
        "HTML('<pre>' + html.escape('\\n'.join(In)) + '</pre>')",
    ),
    "linecache": ({"mul": MUL_LINECACHE}, "print(LEAK)"),
    "audit-hook": ({"add": AUDIT}, "print('\\n'.join(SEEN))"),
    "callback-thread": ({"add": CALLBACK_THREAD}, "import time; time.sleep(0.2); print(CELLS)"),
    # A student who guessed the hidden tests' text prints it, spelt backwards in the source
    # (which the page shows as it is: the student's own).
    "guessed": ({}, f"print({chr(10).join(HIDDEN)[::-1]!r}[::-1])"),
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = make_repo(tmp_path_factory.mktemp("leaks") / "repo")
    cli = invoker(root)
    assert cli("release", "demo", "a1").exit_code == 0
    folder = root.parent / "class"
    for student, (answers, trailing) in ROUTES.items():
        notebook = answered(source_notebook(), {"add": ADD, "mul": MUL, **answers})
        notebook.cells.append(new_code_cell(trailing))
        save(notebook, folder / f"{student}.ipynb")
    honest = answered(source_notebook(), {"add": ADD + "\nprint('my own output, shown')"})
    save(honest, folder / "honest.ipynb")
    graded = cli("grade", "demo", "a1", str(folder))
    assert graded.exit_code == 0, graded.output
    assert cli("feedback", "demo", "a1").exit_code == 0
    feedback = root / "assignments/demo/feedback"
    return {
        student: (feedback / student / "a1" / "demo.html").read_text(encoding="utf-8")
        for student in [*ROUTES, "honest"]
    }


@pytest.mark.parametrize("route", ROUTES)
def test_no_hidden_line_reaches_the_page(pages: dict[str, str], route: str) -> None:
    page = canonical(pages[route])
    for line in HIDDEN:
        assert canonical(line) not in page, f"{route}: {line!r} is on the feedback page"


@pytest.mark.parametrize("route", ["input-history", "input-history-html", "linecache"])
def test_the_routes_find_no_hidden_test_to_show(pages: dict[str, str], route: str) -> None:
    """These routes read the tests that ran in the student's kernel: none did."""
    assert canonical(WITHHELD) not in canonical(pages[route])


def test_the_input_history_holds_the_students_cells_only(pages: dict[str, str]) -> None:
    """The page shows the printed `In` (plain text; the cells' own source is highlighted
    markup, so it does not match): the student's cells, and no test."""
    page = canonical(pages["input-history"])
    assert canonical("def mul(a, b):") in page
    assert canonical("mul(2, 3) == 6") not in page


def test_an_output_holding_a_hidden_line_is_withheld_with_a_note(pages: dict[str, str]) -> None:
    """So the page check above is no vacuous pass: such an output is found and withheld."""
    assert canonical(WITHHELD) in canonical(pages["guessed"])


def test_the_students_own_output_is_shown(pages: dict[str, str]) -> None:
    assert "my own output, shown" in pages["honest"]
    assert canonical(WITHHELD) not in canonical(pages["honest"])


def test_a_failing_tests_message_is_shown(tmp_path: Path) -> None:
    """Per test: the assertion's message, though it comes from a hidden test."""
    root = make_repo(tmp_path / "repo")
    cli = invoker(root)
    assert cli("release", "demo", "a1").exit_code == 0
    wrong_mul = "def mul(a, b):\n    return a * b + (a == 7)"
    wrong = answered(source_notebook(), {"add": ADD, "mul": wrong_mul})
    save(wrong, tmp_path / "class" / "zed.ipynb")
    assert cli("grade", "demo", "a1", str(tmp_path / "class")).exit_code == 0
    assert cli("feedback", "demo", "a1").exit_code == 0
    page = (root / "assignments/demo/feedback/zed/a1/demo.html").read_text(encoding="utf-8")
    assert "mul(7, 0) should be 0" in page
    assert canonical(HIDDEN[1]) not in canonical(page)
