"""Keeping student code from changing how the tests run, and reporting when it tries.

Before the first cell of a submission runs, the grader installs a guard in the
kernel that remembers IPython's execution machinery (how cells run and how
errors are reported, AST and input transformers, event callbacks, custom
exception handlers), the builtins, and every module loaded so far; an IPython
pre_execute callback remembers the modules each cell imports before the next
one runs. Before each test cell the grader asks the guard to put
back anything that was changed and says what it found; the grader records that
as a tampering attempt. So a submission that patches `np.allclose`, silences
tracebacks or installs an AST transformer is graded with the real functions, and
the teacher is told. The guard answers in JSON (the repr of its return value), which
the grader parses strictly and never evaluates: a notebook can replace the guard, so its
answer is student text (Guard.record).

Remembering and checking some 770 modules must stay cheap, since it happens in every
kernel: the modules the fork server loaded are pictured there once, with the version
CPython keeps on each module's dict (forkserver_main.picture_modules), and a check
reads that version and looks at a module's attributes only when it changed.

Limits, stated plainly: the guard runs in the same Python process as the student's
code, so a determined attacker who studies it can still interfere with it;
the grader's other defences do not depend on it (test verdicts come from the
kernel's replies, test cells and their order come from the teacher's copy, the
sandbox hides everything else). A library that rebinds its own public functions
after import is not flagged: only values defined in the notebook, lambdas, or
callables from another package count.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from nbformat import NotebookNode

GUARD_TEMPLATE = r"""
def __autograder_install(name):
    import builtins, json, sys, types
    from operator import is_not
    from IPython import get_ipython
    from IPython.core.interactiveshell import InteractiveShell
    shell = get_ipython()
    method_names = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "showtraceback",
                    "_showtraceback", "showsyntaxerror", "transform_cell", "transform_ast",
                    "should_run_async", "get_exception_only")
    # The shell runs cells; the kernel and its session turn the outcome into the reply
    # the grader reads. A notebook must not replace any of them.
    reply_names = ("do_execute", "execute_request", "send_response", "send", "serialize",
                   "sign", "_publish_execute_input", "_publish_status")
    watched = [(type(shell), method_names)]
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        watched += [(type(kernel), reply_names), (type(kernel.session), reply_names)]
    classes = {c: {n: c.__dict__[n] for n in names if n in c.__dict__}
               for start, names in watched
               for c in start.__mro__ if isinstance(c, type) and c is not object}
    lists = {
        "ast_transformers": (shell, "ast_transformers"),
        "input_transformers_cleanup": (shell, "input_transformers_cleanup"),
        "input_transformers_post": (shell, "input_transformers_post"),
        "line transforms": (shell.input_transformer_manager, "line_transforms"),
        "cleanup transforms": (shell.input_transformer_manager, "cleanup_transforms"),
    }
    saved_lists = {k: list(getattr(o, a)) for k, (o, a) in lists.items()}
    saved_events = {k: list(v) for k, v in shell.events.callbacks.items()}
    saved_hooks = {"custom exception handlers":
                       (shell, "custom_exceptions", shell.custom_exceptions),
                   "CustomTB": (shell, "CustomTB", shell.CustomTB)}
    saved_instance = {n: vars(shell).get(n) for n in method_names}
    # IPython and ipykernel rebind these on every execution.
    volatile = {"input", "raw_input", "get_ipython", "exit", "quit", "display", "_", "__", "___"}
    saved_builtins = {k: v for k, v in vars(builtins).items() if k not in volatile}

    class Answer:
        # What the grader reads (user_expressions' text/plain) is this repr: plain JSON,
        # which it parses and never evaluates.
        __slots__ = ("text",)

        def __init__(self, text):
            self.text = text

        def __repr__(self):
            return self.text

    def same(a, b):
        return a is b or getattr(a, "__func__", a) is getattr(b, "__func__", b)

    # Every module the fork server had loaded, pictured there once for all its kernels,
    # and its reader of dict versions (forkserver_main.picture_modules): name -> (module,
    # names, values, version of its namespace). This kernel's own start may have changed
    # some since; no notebook code has run yet, so those are pictured again, as they are.
    modules, version = vars(sys).pop("_autograder_modules", None) or ({}, None)

    def untouched(space, seen):  # one word read, no attribute touched
        return version is not None and version(space) == seen

    def same_values(space, keys, originals):
        # Identity only, at C speed (an attribute's own __eq__ is the student's to write).
        return len(space) == len(keys) and not any(
            map(is_not, map(space.get, keys, originals), originals))

    for mod_name, (mod, keys, originals, seen) in list(modules.items()):
        space = vars(mod)
        if sys.modules.get(mod_name) is not mod or not (
                untouched(space, seen) or same_values(space, keys, originals)):
            del modules[mod_name]

    def remember_new_modules():
        for mod_name, mod in list(sys.modules.items()):
            # sys hooks are rebound by ipykernel on every execution; builtins have their own check.
            if mod_name in modules or mod_name in ("__main__", "sys", "builtins"):
                continue
            if not isinstance(mod, types.ModuleType):
                continue
            try:  # copied at C speed; only callables are judged when something differs
                space = vars(mod)
                modules[mod_name] = (mod, tuple(space), tuple(space.values()),
                                     version(space) if version is not None else None)
            except Exception:
                pass

    def foreign(value, mod_name):
        owner = getattr(value, "__module__", None) or ""
        if owner == "__main__" or getattr(value, "__name__", "") == "<lambda>":
            return True
        return owner.split(".")[0] != mod_name.split(".")[0]

    def guard():
        found = []
        for cls, methods in classes.items():
            for n, original in methods.items():
                if not same(cls.__dict__.get(n), original):
                    found.append(f"{cls.__name__}.{n} (how cells run or results are reported)")
                    setattr(cls, n, original)
        for n, original in saved_instance.items():
            current = vars(shell).get(n)
            if not same(current, original):
                found.append(f"get_ipython().{n} (how cells run or report errors)")
                if original is None:
                    delattr(shell, n)
                else:
                    setattr(shell, n, original)
        for k, (o, a) in lists.items():
            if list(getattr(o, a)) != saved_lists[k]:
                found.append(f"IPython {k}")
                setattr(o, a, list(saved_lists[k]))
        for k, v in shell.events.callbacks.items():
            if v != saved_events.get(k, []):
                found.append(f"IPython '{k}' event callbacks")
                v[:] = saved_events.get(k, [])
        for k, (o, a, original) in saved_hooks.items():
            if not same(getattr(o, a), original):
                found.append(k)
                setattr(o, a, original)
        current = vars(builtins)
        for k, original in saved_builtins.items():
            if not same(current.get(k), original):
                found.append(f"builtins.{k}")
                current[k] = original
        loaded = sys.modules
        for mod_name, (mod, keys, originals, seen) in modules.items():
            if loaded.get(mod_name, mod) is not mod:
                found.append(f"sys.modules[{mod_name!r}]")
                loaded[mod_name] = mod
            space = vars(mod)
            if untouched(space, seen):
                continue
            if not same_values(space, keys, originals):  # the few that differ: a slow look
                for k, original in zip(keys, originals):
                    if not callable(original):
                        continue
                    value = space.get(k, original)
                    if not same(value, original) and foreign(value, mod_name):
                        found.append(f"{mod_name}.{k}")
                        space[k] = original
            if version is not None:  # judged as it is now: look again only if it changes
                modules[mod_name] = (mod, keys, originals, version(space))
        remember_new_modules()
        found = [f if len(f) <= 200 else f[:197] + "..." for f in sorted(set(found))]
        if len(found) > 200:
            found[199:] = [f"{len(found) - 199} more"]
        return Answer(json.dumps(found))

    remember_new_modules()
    # Modules a cell imports are remembered before the next cell runs, without a round trip
    # from the grader; a notebook that removes this callback is caught like any other.
    shell.events.register("pre_execute", remember_new_modules)
    saved_events["pre_execute"] = list(shell.events.callbacks["pre_execute"])
    setattr(builtins, name, guard)
__autograder_install({name!r})
del __autograder_install
"""


class Guard:
    """Host side: install the guard in a kernel and ask it to check before test cells."""

    def __init__(self) -> None:
        self.name = f"_autograder_guard_{secrets.token_hex(6)}"
        self.findings: list[str] = []
        self.installed = False

    @property
    def install_code(self) -> str:
        return GUARD_TEMPLATE.replace("{name!r}", repr(self.name))

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
200 characters each (GUARD_TEMPLATE)."""
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
        + "; this was undone before the tests ran"
    ]


def is_test_cell(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"
