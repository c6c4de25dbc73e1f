"""Reporting attempts to tamper with the grading, to the teacher: never what a verdict rests on.

The tests run in a kernel of their own (runtime/trusted.py), which no student code reaches,
so nothing the notebook patches changes a verdict. What the notebook tried is still worth
the teacher's attention: before the first cell of a submission runs, the grader installs
this guard in the student's kernel, which remembers IPython's execution machinery (how
cells run and how errors are reported, AST and input transformers, event callbacks,
custom exception handlers), the builtins, and every module loaded so far; an IPython
pre_execute callback remembers the modules each cell imports before the next one runs.
Before each test the grader asks the guard what was changed, and records it as
`tampering: ...` (the submission's status becomes `tamper`; its score is what its answers
earned in the trusted kernel). The guard also puts back what it found, so that the
student's kernel serves the test with its own machinery rather than a patched one (a
submission that breaks its own kernel only loses its own answers).

The guard answers in JSON (the repr of its return value), which the grader parses
strictly and never evaluates: a notebook can replace the guard, so its answer is student
text (Guard.record). A notebook that replaces, disables or outruns the guard (a thread,
an audit hook, a swapped code object) is simply not reported: the guard runs in the
student's process, and a determined attacker who studies it can interfere with it.

The kernel's side is runtime/kernel_guard.py, a module of its own so that it is linted,
type-checked and tested like the rest; the kernel cannot import this package, so it
receives that file's source (Guard.install_code). This module is the grader's side.

Remembering and checking some 770 modules must stay cheap, since it happens in every
kernel: the modules the fork server loaded are pictured there once, with the version
CPython keeps on each module's dict (forkserver_main.picture_modules), and a check
reads that version and looks at a module's attributes only when it changed. A library
that rebinds its own public functions after import is not flagged: only values defined
in the notebook, lambdas, or callables from another package count.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

KERNEL_SOURCE = (Path(__file__).parent / "kernel_guard.py").read_text()
"""The guard's code in the kernel (runtime/kernel_guard.py), sent as source: the sandbox
does not show the kernel this package."""
INSTALLER = """\
def __autograder_install(name, source):
    space = {"__name__": name}
    exec(compile(source, f"<{name}>", "exec"), space)
    space["install"](name)
"""
"""Runs kernel_guard in a namespace of its own, named by the guard's random name: the
notebook's namespace keeps nothing of it (the installer is deleted once it has run)."""
_SOURCE_LITERAL = repr(KERNEL_SOURCE)


class Guard:
    """Host side: install the guard in a kernel and ask it to check before test cells."""

    def __init__(self) -> None:
        self.name = f"_autograder_guard_{secrets.token_hex(6)}"
        self.findings: list[str] = []
        self.installed = False

    @property
    def install_code(self) -> str:
        """The source travels as one string literal, so IPython's pure-Python
        transformation of the request sees one token rather than 300 lines (measured:
        installing took 9 ms this way, 16 ms as the lines of a cell)."""
        return (
            f"{INSTALLER}__autograder_install({self.name!r}, {_SOURCE_LITERAL})\n"
            "del __autograder_install\n"
        )

    @property
    def call_code(self) -> str:
        return f"{self.name}()"

    def record(self, reply: dict[str, Any]) -> None:
        """Read the guard's answer: the text/plain of its user expression, a JSON list of
        what it found and put back.

        The answer comes from the kernel, where the notebook can replace the guard, so
        it is student text: it is parsed as JSON (never evaluated: `ast.literal_eval`
        on a 6 MB answer took over 3 GiB), only when it is short enough to be the
        guard's, and only a list of short strings is taken. Anything else is reported
        as tampering with the guard, as a missing answer is.
        """
        content = reply.get("content")
        if not isinstance(content, dict):
            content = {}
        if content.get("ename") == "OutputTooLarge":  # refused unread (sandbox.PromptKernelClient)
            self.findings.append(MALFORMED)
            return
        expressions = content.get("user_expressions")
        result = expressions.get("guard") if isinstance(expressions, dict) else None
        if not isinstance(result, dict) or result.get("status") != "ok":
            self.findings.append("the grader's guard (it was removed or broken)")
            return
        data = result.get("data")
        found = parse_answer(data.get("text/plain") if isinstance(data, dict) else None)
        if found is None:
            self.findings.append(MALFORMED)
            return
        self.findings.extend(found)


MALFORMED = "the grader's guard (its answer was malformed or too large)"
ANSWER_LIMIT = 64 * 1024
"""Characters of the guard's answer, at most: it lists at most 200 findings of at most
200 characters each (kernel_guard.answer)."""
FINDINGS_LIMIT = 1000
FINDING_LIMIT = 1000


def parse_answer(text: object) -> list[str] | None:
    """The findings in a guard's answer, or None when it cannot be the guard's: not a
    string, over ANSWER_LIMIT, not JSON (or nested past the parser's depth), or not a
    list of at most FINDINGS_LIMIT non-empty strings of at most FINDING_LIMIT characters."""
    if not isinstance(text, str) or len(text) > ANSWER_LIMIT:
        return None
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(found, list) or len(found) > FINDINGS_LIMIT:
        return None
    if not all(isinstance(item, str) and 0 < len(item) <= FINDING_LIMIT for item in found):
        return None
    return found


def summarise(findings: list[str]) -> list[str]:
    unique = sorted(set(findings))
    if not unique:
        return []
    return [
        "tampering: the notebook changed "
        + ", ".join(unique)
        + "; the tests ran in their own kernel, out of its reach"
    ]
