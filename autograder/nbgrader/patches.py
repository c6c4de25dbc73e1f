"""Every change this toolkit makes to nbgrader and its libraries, made by `install()` only.

Importing a module of this package changes nothing. `install()` makes these changes,
each measured as a large share of a grading worker's CPU (see engines.py and
schema_cache.py for the figures):

- nbgrader's gradebook uses one SQLAlchemy engine per URL and process (`engines.engine`)
  instead of a new engine, and a check of every table, per `Gradebook`;
- nbgrader's cell-metadata check compiles its JSON schema once per process;
- SQLAlchemy warnings that nbgrader's own gradebook code raises are not shown;
- the folder of this Python's scripts is put on PATH, where nbgrader looks for `alembic`.

Each target is checked before it is replaced, and only nbgrader versions this was
written against are accepted: a newer nbgrader fails with a message saying so,
rather than being patched where its code may have moved.
`skip_unused_format_check()` is separate: it must run before jsonschema is first
imported, so only a program's entry calls it (`cli.run`, the worker pool's server).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

from autograder.course.errors import AutograderError

KNOWN_NBGRADER = ("0.9.",)
"""nbgrader versions whose internals the patches were written against."""

_installed = False
_lock = threading.Lock()


def _require(owner: object, name: str, where: str) -> None:
    if not hasattr(owner, name):
        raise AutograderError(
            f"cannot install the autograder's nbgrader patches: {where}.{name} is missing "
            "in this nbgrader; install a supported version (nbgrader 0.9.x)"
        )


def install() -> None:
    """Install the patches once per process; safe to call from any thread, any number of times."""
    global _installed
    if _installed:
        return
    with _lock:
        if _installed:
            return
        import nbgrader
        import nbgrader.api
        import nbgrader.nbgraderformat.common
        from sqlalchemy.exc import SAWarning

        from autograder.nbgrader import engines, schema_cache

        version = str(getattr(nbgrader, "__version__", "unknown"))
        if not version.startswith(KNOWN_NBGRADER):
            raise AutograderError(
                f"nbgrader {version} is installed, but the autograder supports nbgrader "
                f"{', '.join(v + 'x' for v in KNOWN_NBGRADER)}: install one of those"
            )
        _require(nbgrader.api, "create_engine", "nbgrader.api")
        _require(nbgrader.api.Base.metadata, "create_all", "nbgrader.api.Base.metadata")
        _require(nbgrader.nbgraderformat.common, "jsonschema", "nbgrader.nbgraderformat.common")

        def for_nbgrader(url: Any, **_: Any) -> Any:
            return engines.engine(str(url))

        nbgrader.api.create_engine = for_nbgrader
        nbgrader.api.Base.metadata.create_all = functools.partial(  # type: ignore[method-assign]
            engines.create_missing_tables, nbgrader.api.Base.metadata
        )
        nbgrader.nbgraderformat.common.jsonschema = schema_cache.CheckedSchemas()  # type: ignore[assignment]
        # nbgrader's gradebook code triggers these on every autograde; not ours to fix.
        warnings.filterwarnings("ignore", category=SAWarning, module="nbgrader")
        _tools_on_path()
        _installed = True


def _tools_on_path() -> None:
    """nbgrader runs `alembic` by name when it creates a gradebook: find it beside our Python,
    wherever the teacher installed it (a venv that is not activated, for one)."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def installed() -> bool:
    return _installed


def skip_unused_format_check() -> None:
    """jsonschema (via nbformat) imports rfc3987-syntax, when installed, only to check the
    "iri" string format, which no notebook or nbgrader schema uses; building its grammar
    costs 1.3 s of CPU (measured with -X importtime) in every process that imports
    jsonschema. Marking it absent makes jsonschema skip that one format checker. Only
    effective before jsonschema's first import, so a program calls it first thing."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
