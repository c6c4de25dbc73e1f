"""Import modules in this fresh interpreter and report every change to process-wide state.

Run by tests/test_architecture.py, from the repository's root:

    python -m tests.import_probe [--preload MOD,MOD,...] MODULE...
        Imports nbgrader, jsonschema, SQLAlchemy and the --preload modules first (their own
        import-time changes are theirs), then each MODULE in turn, with a snapshot of the
        state before and after each: a change is blamed on that import (and names the
        package's modules it loaded, any of which may have made it).
    python -m tests.import_probe --alone [MODULE]
        Imports MODULE with nothing imported before it, snapshots what needs no import,
        then imports nbgrader & co and snapshots everything, for the test to compare with
        a run of `--alone` that imports no MODULE.

The last line of the output is a JSON object: "imported" (the modules), "changed" (a list
of {"module", "loaded", "changes"}), and "failed" (the imports that raised, each with its
error) or, with --alone, "after" (the whole snapshot).
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import importlib
import json
import os
import signal
import sys
import threading
import warnings
from typing import Any

WATCHED = (
    "jsonschema",
    "sqlalchemy",
    "sqlalchemy.event",
    "nbgrader.api",
    "nbgrader.nbgraderformat.common",
)
FREEZE_COUNT = "gc.get_freeze_count()"
SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGCHLD", "SIGPIPE", "SIGALRM", "SIGUSR1", "SIGUSR2")


def describe(thing: object, exact: bool) -> str:
    """What a patched attribute holds, by name (and, within one process, by identity)."""
    import functools
    import types

    if isinstance(thing, functools.partial):
        text = f"partial({describe(thing.func, exact)})"
    elif isinstance(thing, types.MethodType):
        text = f"{describe(thing.__func__, exact)} bound to {type(thing.__self__).__qualname__}"
    elif isinstance(thing, types.ModuleType):
        text = f"module {thing.__name__}"
    elif hasattr(thing, "__qualname__"):
        text = f"{getattr(thing, '__module__', '?')}.{thing.__qualname__}"
    else:
        text = f"{type(thing).__module__}.{type(thing).__qualname__} instance"
    if exact and not isinstance(thing, types.MethodType):
        text += f" #{id(thing)}"
    return text


def cheap_snapshot(exact: bool) -> dict[str, Any]:
    """The state that can be read without importing anything."""
    umask = os.umask(0o022)
    os.umask(umask)
    snapshot: dict[str, Any] = {
        FREEZE_COUNT: gc.get_freeze_count(),
        "gc.isenabled()": gc.isenabled(),
        "gc.get_threshold()": list(gc.get_threshold()),
        "sys.modules['rfc3987_syntax']": (
            "absent"
            if "rfc3987_syntax" not in sys.modules
            else "None"
            if sys.modules["rfc3987_syntax"] is None
            else "module"
        ),
        "modules marked absent (None in sys.modules)": sorted(
            name for name, module in sys.modules.items() if module is None
        ),
        "warnings.filters": [repr(entry) for entry in warnings.filters],
        "os.environ": dict(os.environ),
        "os.getcwd()": os.getcwd(),
        "os.umask": umask,
        "sys.path": list(sys.path),
        "sys.meta_path": [describe(finder, exact=False) for finder in sys.meta_path],
        "sys.excepthook": describe(sys.excepthook, exact),
        "threading.excepthook": describe(threading.excepthook, exact),
        "sys.getrecursionlimit()": sys.getrecursionlimit(),
        "sys.getswitchinterval()": sys.getswitchinterval(),
        "faulthandler.is_enabled()": faulthandler.is_enabled(),
        "signal handlers": {
            name: describe(signal.getsignal(getattr(signal, name)), exact)
            for name in SIGNALS
            if hasattr(signal, name)
        },
    }
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:
        backend = dict.__getitem__(matplotlib.rcParams, "backend")
        snapshot["matplotlib backend"] = backend if isinstance(backend, str) else "auto"
    return snapshot


def full_snapshot(exact: bool) -> dict[str, Any]:
    """Everything, with nbgrader, jsonschema and SQLAlchemy imported (if they were not)."""
    snapshot = cheap_snapshot(exact)
    for name in WATCHED:
        importlib.import_module(name)
    import jsonschema
    import nbgrader.api
    import nbgrader.nbgraderformat.common
    from sqlalchemy.event import registry

    listeners = []
    for (_, identifier, _), collections in list(registry._key_to_collection.items()):
        for listener in list(collections.values()):
            listeners.append(f"{identifier}: {describe(listener(), exact=False)}")
    snapshot.update(
        {
            "jsonschema.FormatChecker.checkers": sorted(jsonschema.FormatChecker.checkers),
            "SQLAlchemy event listeners": sorted(listeners),
            "nbgrader.api.create_engine": describe(nbgrader.api.create_engine, exact),
            "nbgrader.api.Base.metadata.create_all": describe(
                nbgrader.api.Base.metadata.create_all, exact
            ),
            "'create_all' in vars(nbgrader.api.Base.metadata)": (
                "create_all" in vars(nbgrader.api.Base.metadata)
            ),
            "nbgrader.nbgraderformat.common.jsonschema": describe(
                nbgrader.nbgraderformat.common.jsonschema, exact
            ),
        }
    )
    return snapshot


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    found = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == FREEZE_COUNT and 0 < new < old:
            continue  # frozen objects were freed since: no one froze or unfroze the heap
        if isinstance(old, dict) and isinstance(new, dict):
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            found.append(
                f"{key}: " + ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in changed)
            )
        elif isinstance(old, list) and isinstance(new, list):
            gone = [item for item in old if item not in new]
            came = [item for item in new if item not in old]
            found.append(
                f"{key}: removed {gone!r}, added {came!r}" if gone or came else f"{key}: reordered"
            )
        else:
            found.append(f"{key}: {old!r} -> {new!r}")
    return found


def ours() -> set[str]:
    return {name for name in sys.modules if name == "autograder" or name.startswith("autograder.")}


def main(argv: list[str]) -> dict[str, Any]:
    alone = "--alone" in argv
    preload: list[str] = []
    modules = []
    args = iter(argv)
    for arg in args:
        if arg == "--preload":
            preload = [name for name in next(args).split(",") if name]
        elif arg != "--alone":
            modules.append(arg)

    changed = []
    if alone:
        before = cheap_snapshot(exact=True)
        for module in modules:
            importlib.import_module(module)
        changes = differences(before, cheap_snapshot(exact=True))
        if changes:
            changed.append(
                {"module": " ".join(modules), "loaded": sorted(ours()), "changes": changes}
            )
        return {"imported": modules, "changed": changed, "after": full_snapshot(exact=False)}

    for name in preload:
        with contextlib.suppress(ImportError):  # `from x import name`: name is no module
            importlib.import_module(name)
    before = full_snapshot(exact=True)
    imported = []
    failed: list[str] = []
    for module in modules:
        loaded = ours()
        try:
            importlib.import_module(module)
        except Exception as error:  # reported, and the other modules are still checked
            failed.append(f"{module}: {type(error).__name__}: {error}")
            continue
        imported.append(module)
        after = full_snapshot(exact=True)
        changes = differences(before, after)
        if changes:
            changed.append(
                {"module": module, "loaded": sorted(ours() - loaded), "changes": changes}
            )
        before = after
    return {"imported": imported, "failed": failed, "changed": changed}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
