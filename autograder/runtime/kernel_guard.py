"""The guard as it runs inside a kernel: what a notebook changed of the machinery that
runs the tests is put back before each test cell, and named (runtime/guard.py says why).

The kernel cannot import this package: the sandbox shows it the Python installation,
not the checkout. So the grader sends this file's source in the first request to each
kernel and runs it in a namespace of its own, named by the guard's random name and kept
neither in sys.modules nor in the notebook's namespace (guard.Guard.install_code); then
`install` puts the check on builtins under that name. Hence the rules for this file: it
imports only the standard library (IPython, inside `install`), and importing it does
nothing but define things, so that tests can import it and run the checks in-process.

Each part remembers what it watches when it is made and, in `restore`, puts back and
names what differs; names are sorted and bounded only in `answer`.
"""

from __future__ import annotations

import builtins
import json
import sys
import types
from collections.abc import Callable, Iterable, MutableMapping
from operator import is_not
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

SHELL_METHODS = (
    "run_cell",
    "run_cell_async",
    "run_ast_nodes",
    "run_code",
    "showtraceback",
    "_showtraceback",
    "showsyntaxerror",
    "transform_cell",
    "transform_ast",
    "should_run_async",
    "get_exception_only",
)
"""How the shell runs a cell and reports its errors."""
REPLY_METHODS = (
    "do_execute",
    "execute_request",
    "send_response",
    "send",
    "serialize",
    "sign",
    "_publish_execute_input",
    "_publish_status",
)
"""How the kernel and its session turn a cell's outcome into the reply the grader reads."""
VOLATILE_BUILTINS = frozenset(
    {"input", "raw_input", "get_ipython", "exit", "quit", "display", "_", "__", "___"}
)
"""Builtins IPython and ipykernel rebind on every execution: no notebook's doing."""
UNWATCHED_MODULES = frozenset({"__main__", "sys", "builtins"})
"""The notebook's own namespace; sys, whose hooks ipykernel rebinds on every execution;
builtins, watched by `Builtins`."""
MOST_FINDINGS = 200
LONGEST_FINDING = 200
"""The answer's bounds, which keep it within what the grader reads (guard.ANSWER_LIMIT)."""

VersionReader = Callable[[dict[str, Any]], int]
"""Reads the version CPython keeps on a dict (forkserver_main.dict_version_reader)."""
Picture = tuple[types.ModuleType, tuple[str, ...], tuple[Any, ...], int | None]
"""A module as it was: the module, its names, their values, its namespace's version."""


class Answer:
    """The check's result. The grader reads its repr (user_expressions' text/plain), so
    the repr is plain JSON, which the grader parses and never evaluates."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def answer(found: Iterable[str]) -> Answer:
    """A notebook decides how many findings there are and how long their names are (a
    module's name, an attribute's): the answer stays bounded all the same."""
    unique = [
        f if len(f) <= LONGEST_FINDING else f[: LONGEST_FINDING - 3] + "..."
        for f in sorted(set(found))
    ]
    if len(unique) > MOST_FINDINGS:
        unique[MOST_FINDINGS - 1 :] = [f"{len(unique) - MOST_FINDINGS + 1} more"]
    return Answer(json.dumps(unique))


def same(current: object, original: object) -> bool:
    """Bound methods are made anew on every attribute access: the function they bind
    decides whether a method is still the original."""
    return current is original or getattr(current, "__func__", current) is getattr(
        original, "__func__", original
    )


def same_values(space: dict[str, Any], keys: tuple[str, ...], originals: tuple[Any, ...]) -> bool:
    """Identity only, at C speed: an attribute's own __eq__ is the student's to write."""
    return len(space) == len(keys) and not any(
        map(is_not, map(space.get, keys, originals), originals)
    )


def foreign(value: object, module_name: str) -> bool:
    """Whether a callable found in a module can only have come from a notebook: defined
    in it, a lambda, or from another package. A library that rebinds its own functions
    after import (numpy does) must not be reported."""
    owner = getattr(value, "__module__", None) or ""
    if owner == "__main__" or getattr(value, "__name__", "") == "<lambda>":
        return True
    return owner.split(".")[0] != module_name.split(".")[0]


class Modules:
    """Every loaded module's namespace, checked by identity of its values.

    Some 770 modules are checked in every kernel before each test cell, so the check
    must touch as little as it can: in a forked kernel every page it reads an object
    from is copied. Where CPython keeps a version on each dict (`version`), a module
    whose namespace version did not change is skipped after reading one word; the rest
    are compared at C speed, and only a module that differs has its callables judged."""

    __slots__ = ("loaded", "pictures", "version")

    def __init__(
        self,
        loaded: MutableMapping[str, Any],
        pictures: dict[str, Picture] | None = None,
        version: VersionReader | None = None,
    ) -> None:
        self.loaded = loaded
        """sys.modules, in a kernel."""
        self.pictures: dict[str, Picture] = pictures if pictures is not None else {}
        self.version = version

    def forget_changed(self) -> None:
        """Drop the pictures (taken in the fork server, for all its kernels) of modules
        this kernel's own start changed since: `remember_new` takes them again, as they
        are now, before any notebook code runs."""
        loaded, version = self.loaded, self.version
        for name, (module, keys, originals, seen) in list(self.pictures.items()):
            space = vars(module)
            if loaded.get(name) is not module or not (
                (version is not None and version(space) == seen)
                or same_values(space, keys, originals)
            ):
                del self.pictures[name]

    def remember_new(self) -> None:
        """Picture the modules loaded since the last call: an IPython pre_execute callback,
        so the modules a cell imports are pictured before the next cell can change them,
        without a request from the grader."""
        pictures, version = self.pictures, self.version
        for name, module in list(self.loaded.items()):
            if name in pictures or name in UNWATCHED_MODULES:
                continue
            if not isinstance(module, types.ModuleType):
                continue
            try:  # copied at C speed; only callables are judged when something differs
                space = vars(module)
                pictures[name] = (
                    module,
                    tuple(space),
                    tuple(space.values()),
                    version(space) if version is not None else None,
                )
            except Exception:
                pass

    def restore(self, found: list[str]) -> None:
        """Put back a module replaced in sys.modules, and a callable a notebook put in a
        module's namespace; a value a notebook added or a non-callable it changed stays."""
        loaded, version = self.loaded, self.version
        for name, (module, keys, originals, seen) in self.pictures.items():
            if loaded.get(name, module) is not module:
                found.append(f"sys.modules[{name!r}]")
                loaded[name] = module
            space = vars(module)
            if version is not None and version(space) == seen:
                continue
            if not same_values(space, keys, originals):  # the few that differ: a slow look
                for key, original in zip(keys, originals, strict=True):
                    if not callable(original):
                        continue
                    value = space.get(key, original)
                    if not same(value, original) and foreign(value, name):
                        found.append(f"{name}.{key}")
                        space[key] = original
            if version is not None:  # judged as it is now: looked at again only if it changes
                self.pictures[name] = (module, keys, originals, version(space))


class Builtins:
    """The builtins, by identity: a notebook's `print` or `isinstance` would run in the
    tests' code too."""

    __slots__ = ("originals", "space")

    def __init__(self, space: MutableMapping[str, Any]) -> None:
        self.space = space
        self.originals = {k: v for k, v in space.items() if k not in VOLATILE_BUILTINS}

    def restore(self, found: list[str]) -> None:
        space = self.space
        for key, original in self.originals.items():
            if not same(space.get(key), original):
                found.append(f"builtins.{key}")
                space[key] = original


class Shell:
    """IPython's machinery: how the shell runs cells and reports errors (methods of its
    classes and of the shell itself, AST and input transformers, event callbacks, custom
    exception handlers) and how the kernel and its session reply to the grader."""

    __slots__ = ("classes", "events", "hooks", "instance", "lists", "shell")

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        watched: list[tuple[type, tuple[str, ...]]] = [(type(shell), SHELL_METHODS)]
        kernel = getattr(shell, "kernel", None)
        if kernel is not None:
            watched += [(type(kernel), REPLY_METHODS), (type(kernel.session), REPLY_METHODS)]
        self.classes: dict[type, dict[str, Any]] = {
            c: {n: c.__dict__[n] for n in names if n in c.__dict__}
            for start, names in watched
            for c in start.__mro__
            if isinstance(c, type) and c is not object
        }
        manager = shell.input_transformer_manager
        self.lists: dict[str, tuple[object, str, list[Any]]] = {
            label: (owner, attribute, list(getattr(owner, attribute)))
            for label, owner, attribute in (
                ("ast_transformers", shell, "ast_transformers"),
                ("input_transformers_cleanup", shell, "input_transformers_cleanup"),
                ("input_transformers_post", shell, "input_transformers_post"),
                ("line transforms", manager, "line_transforms"),
                ("cleanup transforms", manager, "cleanup_transforms"),
            )
        }
        self.events: dict[str, list[Any]] = {}
        self.remember_events()
        self.hooks: dict[str, tuple[object, str, Any]] = {
            "custom exception handlers": (shell, "custom_exceptions", shell.custom_exceptions),
            "CustomTB": (shell, "CustomTB", shell.CustomTB),
        }
        self.instance = {n: vars(shell).get(n) for n in SHELL_METHODS}

    def remember_events(self) -> None:
        """Take the event callbacks as they are now: the guard's own is one of them."""
        self.events = {k: list(v) for k, v in self.shell.events.callbacks.items()}

    def restore(self, found: list[str]) -> None:
        shell = self.shell
        for cls, methods in self.classes.items():
            for n, original in methods.items():
                if not same(cls.__dict__.get(n), original):
                    found.append(f"{cls.__name__}.{n} (how cells run or results are reported)")
                    setattr(cls, n, original)
        for n, original in self.instance.items():
            if not same(vars(shell).get(n), original):
                found.append(f"get_ipython().{n} (how cells run or report errors)")
                if original is None:
                    delattr(shell, n)
                else:
                    setattr(shell, n, original)
        for label, (owner, attribute, saved) in self.lists.items():
            if list(getattr(owner, attribute)) != saved:
                found.append(f"IPython {label}")
                setattr(owner, attribute, list(saved))
        for event, callbacks in shell.events.callbacks.items():
            if callbacks != self.events.get(event, []):
                found.append(f"IPython '{event}' event callbacks")
                callbacks[:] = self.events.get(event, [])
        for label, (owner, attribute, original) in self.hooks.items():
            if not same(getattr(owner, attribute), original):
                found.append(label)
                setattr(owner, attribute, original)


class KernelGuard:
    """The parts, checked in this order before each test cell."""

    __slots__ = ("builtins", "modules", "shell")

    def __init__(self, shell: Shell | None, watched_builtins: Builtins, modules: Modules) -> None:
        self.shell = shell
        self.builtins = watched_builtins
        self.modules = modules

    def check(self) -> Answer:
        """Put back whatever differs; the answer names it."""
        found: list[str] = []
        if self.shell is not None:
            self.shell.restore(found)
        self.builtins.restore(found)
        self.modules.restore(found)
        self.modules.remember_new()
        return answer(found)


def install(name: str) -> KernelGuard:
    """Remember everything now, before any notebook code has run, and put the check on
    builtins as `name` (random per kernel: a notebook cannot name it in advance)."""
    from IPython import get_ipython

    ipython = get_ipython()
    if ipython is None:
        raise RuntimeError("the guard is installed in an IPython kernel")
    shell = Shell(ipython)
    watched_builtins = Builtins(vars(builtins))
    # The fork server's picture of its modules, taken once for all its kernels
    # (forkserver_main.picture_modules); absent in a kernel started on its own.
    pictures, version = vars(sys).pop("_autograder_modules", None) or ({}, None)
    modules = Modules(sys.modules, pictures, version)
    modules.forget_changed()
    modules.remember_new()
    # A notebook that removes this callback is caught like any other change to events.
    ipython.events.register("pre_execute", modules.remember_new)
    shell.remember_events()
    guard = KernelGuard(shell, watched_builtins, modules)
    setattr(builtins, name, guard.check)
    return guard
