"""The trusted kernel's side of grading: it runs the teacher's tests, never student code.

Every submission is graded by two kernels. The student's kernel runs the notebook's
cells except the tests; this one, started from a fork server of its own in a sandbox of
its own (another uid, no view of the student's files or processes), runs the test cells
and the teacher's read-only cells that need nothing of the student's. A test reads the
student's work through the boundary (runtime/boundary): each name the test cell reads
that this kernel does not define itself is looked up in the student's namespace and
bound, for that cell only, to what comes back: plain data (numbers, strings, arrays, and
lists and dicts of them), or a Remote for any other object, which can be called and
asked for attributes but never compared or converted here. So the assertions run on data,
in code only the teacher wrote, in a process the student's code cannot reach: nothing
the student patches, hooks or redefines takes part in a verdict.

The grader (runtime/execution.py) drives both kernels: at a test cell it asks the student's
kernel to serve (`channel.serve_at`), then sends the cell here. `before` (IPython's
pre_run_cell) connects to the student's kernel the first time and binds the names;
`after` (post_run_cell) unbinds them and pauses the student's kernel, whose serve request
then ends. The teacher's read-only cells are offered here by `maybe_run`: one whose every
name is already defined here (imports, data, helpers) runs here too, so that a test uses
the teacher's own `X_test` or helper class even if the student rebinds that name.

`student_side` (in the namespace) is how a test builds a live object on the student's
side, from a recipe: `student_side.module("gymnasium").make("FrozenLake-v1")` is a Remote
to an environment the student's code can step, made by the student's kernel.

This file is sent as source into the trusted kernel (which cannot import this package,
like the student's): standard library, the boundary package it is given, and IPython.
"""

from __future__ import annotations

import ast
import builtins
import os
import socket
import symtable
from typing import Any

PAUSE_TIMEOUT = 0.5
"""Seconds the end of a test waits for the student's kernel to stop serving; one still
busy in a call the test gave up on is then the grader's to interrupt."""
MIRROR = "__autograder_student_namespace"
"""The trusted namespace's name for the student's namespace's writer (MirrorWrites)."""
KEEP_OUT = frozenset({"student_side", "get_ipython", "In", "Out", "exit", "quit", MIRROR})
"""Names this kernel never asks the student's side for."""


def read_names(source: str, assigned_too: bool = True) -> set[str]:
    """The global names a cell's (Python) source reads and does not import: those it may
    need from elsewhere. With assigned_too, names the cell also assigns count (a test may
    read one first: `saved = f; del f`); without, only names it never assigns (what a
    cell needs before it can run at all). Names read in nested scopes (a function, a
    comprehension, a class body) count when they are global there. A cell that does not
    compile reads nothing: running it will say why."""
    try:
        top = symtable.symtable(source, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return set()
    own = {
        s.get_name()
        for s in top.get_symbols()
        if s.is_imported() or (s.is_assigned() and not assigned_too)
    }
    names: set[str] = set()

    def walk(table: symtable.SymbolTable) -> None:
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (table is top or symbol.is_global()):
                names.add(symbol.get_name())
        for child in table.get_children():
            walk(child)

    walk(top)
    return names - own


class MirrorWrites(ast.NodeTransformer):
    """A test that rebinds or deletes a name it got from the student's namespace does so
    in the student's namespace too, right after the statement: `del squares` then a call
    of the student's `sum_of_squares` meets the NameError the test looks for, and
    `squares = saved` puts the student's function back (StudentNamespace.assign says
    which values go). Only statements at the cell's top level (and in its if/for/while/
    try/with blocks) write global names."""

    def __init__(self, trusted: Trusted) -> None:
        self.trusted = trusted

    def visit_Module(self, node: ast.Module) -> ast.Module:
        if self.trusted.bound:
            node.body = self._statements(node.body, set(self.trusted.bound))
        return node

    def _statements(self, body: list[ast.stmt], names: set[str]) -> list[ast.stmt]:
        result: list[ast.stmt] = []
        for statement in body:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(statement, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(statement, field, self._statements(inner, names))
            for handler in getattr(statement, "handlers", []):
                handler.body = self._statements(handler.body, names)
            result.append(statement)
            result.extend(self._mirrors(statement, names))
        return result

    def _mirrors(self, statement: ast.stmt, names: set[str]) -> list[ast.stmt]:
        if isinstance(statement, ast.Delete):
            targets, verb = statement.targets, "delete"
        elif isinstance(statement, ast.Assign):
            targets, verb = statement.targets, "assign"
        elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
            targets, verb = [statement.target], "assign"
        else:
            return []
        written = [
            n.id
            for target in targets
            for n in ast.walk(target)
            if isinstance(n, ast.Name) and n.id in names
        ]
        mirrors: list[ast.stmt] = []
        for name in dict.fromkeys(written):
            args = f"{name!r}" if verb == "delete" else f"{name!r}, {name}"
            call = ast.parse(f"{MIRROR}.{verb}({args})").body
            mirrors.extend(ast.copy_location(line, statement) for line in call)
        return mirrors


class StudentNamespace:
    """Writes of the test's to the student's namespace (see MirrorWrites)."""

    def __init__(self, trusted: Trusted) -> None:
        self._trusted = trusted

    def assign(self, name: str, value: object) -> None:
        """Only the student's own objects (put back) and callables of the test's (a
        stand-in for the student's function) are written there: never data, which may be
        the hidden tests' (`expected = 42` must not reach a student's `expected`)."""
        remote = type(value) is self._trusted.boundary.handles.Remote
        if not (remote or callable(value)):
            return
        self._trusted.client().assign(name, value)
        self._trusted.bound[name] = value

    def delete(self, name: str) -> None:
        self._trusted.client().delete(name)
        self._trusted.bound.pop(name, None)


class StudentSide:
    """`student_side` in a test: recipes for objects made by the student's kernel."""

    def __init__(self, trusted: Trusted) -> None:
        self._trusted = trusted

    def module(self, name: str) -> Any:
        """A module as the student's kernel imports it, as a Remote."""
        return self._trusted.client().module(name)

    def lookup(self, name: str) -> Any:
        """A name of the student's namespace, when a test must ask for it explicitly
        (the trusted kernel defines the same name)."""
        return self._trusted.client().lookup(name)

    def isinstance(self, value: Any, class_path: str) -> bool:
        """Whether the student's object is an instance of a class named by its import
        path ("sklearn.pipeline.Pipeline"), asked of the student's kernel: an answer about
        the student's object, like any other, not a verdict on its behaviour."""
        module, _, name = class_path.rpartition(".")
        cls = getattr(self.module(module), name)
        answer = self.module("builtins").isinstance(value, cls)
        if type(answer) is not bool:
            raise TypeError(f"isinstance answered {type(answer).__name__}, not a bool")
        return answer

    def estimator(self, estimator: Any) -> Any:
        """The same unfitted scikit-learn estimator, made by the student's kernel from a
        recipe: its class (module and name) and its parameters (get_params(deep=False)),
        estimators among them made the same way. For a test that hands the student's
        code an estimator to fit."""
        params = {}
        for key, value in estimator.get_params(deep=False).items():
            params[key] = self.estimator(value) if hasattr(value, "get_params") else value
        kind = type(estimator)
        return getattr(self.module(kind.__module__), kind.__qualname__)(**params)


class Trusted:
    def __init__(
        self,
        shell: Any,
        boundary: Any,
        path: str,
        call_timeout: float,
        connect_timeout: float,
    ) -> None:
        self.shell = shell
        self.boundary = boundary
        self.call_timeout = call_timeout
        self.connect_timeout = connect_timeout
        self.bound: dict[str, object] = {}
        self._client: Any = None
        self._failed = ""
        with_umask = os.umask(0)
        try:
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(path)
        finally:
            os.umask(with_umask)
        self.listener.listen(1)

    def client(self) -> Any:
        """The connection to the student's kernel, made when the first test starts."""
        if self._client is None:
            if self._failed:
                raise self.boundary.codec.BoundaryError(self._failed)
            self.listener.settimeout(self.connect_timeout)
            try:
                sock, _ = self.listener.accept()
            except OSError as error:
                self._failed = (
                    "the student's kernel did not connect to the tests "
                    f"(within {self.connect_timeout:g} s): {error}"
                )
                raise self.boundary.codec.BoundaryError(self._failed) from None
            channel = self.boundary.channel
            self._client = channel.Peer(sock, None, channel.TRUSTED_SERVES, self.call_timeout)
        return self._client

    def undefined(self, names: set[str]) -> list[str]:
        """The names this kernel has no value for (neither its own nor a builtin), sorted;
        KEEP_OUT's names count as defined."""
        namespace = self.shell.user_ns
        return sorted(
            n
            for n in names
            if n not in namespace and n not in KEEP_OUT and not hasattr(builtins, n)
        )

    def before(self, info: Any) -> None:
        """pre_run_cell: bind the names the test reads that are the student's."""
        self.bound.clear()
        namespace = self.shell.user_ns
        wanted = self.undefined(read_names(self.shell.transform_cell(info.raw_cell)))
        try:
            client = self.client()
        except self.boundary.codec.BoundaryError:
            return  # the test then meets a NameError for each such name
        for name in wanted:
            try:
                value = client.lookup(name)
            except NameError:
                continue  # not defined by the student either: the test says so itself
            except (self.boundary.codec.BoundaryError, TimeoutError):
                break
            namespace[name] = value
            self.bound[name] = value

    def after(self, result: Any = None) -> None:
        """post_run_cell: unbind the student's names, and let the student's kernel go."""
        namespace = self.shell.user_ns
        for name, value in self.bound.items():
            if namespace.get(name, None) is value:
                del namespace[name]
        self.bound.clear()
        if self._client is None:
            return
        timeout, self._client.timeout = self._client.timeout, PAUSE_TIMEOUT
        try:
            self._client.pause()
        except Exception:
            pass  # the grader interrupts (or stops) a student's kernel still busy
        finally:
            self._client.timeout = timeout

    def maybe_run(self, raw_cell: str) -> bool:
        """Run a teacher's read-only cell here too when everything it reads is defined here
        already; otherwise it is the student's kernel's alone (it uses the student's work)."""
        if self.undefined(read_names(self.shell.transform_cell(raw_cell), assigned_too=False)):
            return False
        self.shell.run_cell(raw_cell, store_history=False, silent=True)
        return True


TRUSTED: Trusted | None = None
"""This kernel's Trusted, once `install` has run (the grader calls `TRUSTED.maybe_run`)."""


def install(
    shell: Any, boundary: Any, path: str, call_timeout: float, connect_timeout: float
) -> None:
    """Set the trusted kernel up (run once, by the grader, before the notebook's cells)."""
    global TRUSTED
    TRUSTED = Trusted(shell, boundary, path, call_timeout, connect_timeout)
    shell.events.register("pre_run_cell", TRUSTED.before)
    shell.events.register("post_run_cell", TRUSTED.after)
    shell.ast_transformers.append(MirrorWrites(TRUSTED))
    shell.user_ns["student_side"] = StudentSide(TRUSTED)
    shell.user_ns[MIRROR] = StudentNamespace(TRUSTED)
