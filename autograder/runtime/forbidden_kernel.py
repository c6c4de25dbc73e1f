"""What the student's code may not use, made unusable in the student's kernel.

An assignment's config lists `forbidden:` modules and module attributes (course/config.py):
the shortcut that skips the skill being graded (`cv2.findHomography` in a homography
assignment). The grader runs `install` in the student's kernel before the notebook's first
cell (runtime/execution.py), so every route to them meets the same thing:

- an attribute (`cv2.findHomography`) is replaced, in its module and in every loaded module
  that holds the same object (a re-export, an alias), by a function that raises
  ForbiddenError; `from cv2 import findHomography`, `getattr(cv2, ...)`,
  `importlib.import_module("cv2").findHomography` and aliases all reach the replacement;
- a module (`sklearn.naive_bayes`) and its submodules leave sys.modules and their parent's
  attributes, and an import finder refuses to import them again;
- a module holding a forbidden attribute that is imported again (after `del sys.modules[...]`,
  or `importlib.reload`) gets the replacement again once it has run.

The teacher's tests run in their own kernel (runtime/trusted_kernel.py), which keeps
everything. The guard, installed after this, pictures the modules as this leaves them, so
the replacement is not reported as tampering, and a notebook that puts the original back
is. A determined student can still remove the finder (the guard may see it): the source
scan of course/forbidden.py reports the uses it can read, so the teacher sees them.

This file is sent as source into the student's kernel: standard library only.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from collections.abc import Iterable, Sequence
from typing import Any


class ForbiddenError(ImportError):
    """A use of what the assignment forbids. An ImportError, since that is what a missing
    module raises: code that falls back when a library is absent falls back here too."""


def _stub(name: str) -> Any:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise ForbiddenError(f"{name} is not allowed in this assignment: write it yourself")

    forbidden.__name__ = forbidden.__qualname__ = name.rsplit(".", 1)[-1]
    forbidden.__doc__ = f"{name} is not allowed in this assignment."
    return forbidden


class _Rerun(importlib.abc.Loader):
    """A loader that runs the real one, then forbids again (a module imported anew)."""

    def __init__(self, loader: Any, guard: Forbidden) -> None:
        self._loader = loader
        self._guard = guard

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._guard.apply()


class Forbidden(importlib.abc.MetaPathFinder):
    def __init__(
        self, modules: Sequence[str], attributes: Sequence[tuple[str, tuple[str, ...]]]
    ) -> None:
        self.modules = tuple(modules)
        self.attributes = tuple(attributes)
        self.originals: dict[int, str] = {}
        """id() of each forbidden attribute's real object -> its dotted name."""
        self.stubs: dict[str, Any] = {}

    def _banned(self, fullname: str) -> bool:
        return any(fullname == m or fullname.startswith(m + ".") for m in self.modules)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if self._banned(fullname):
            raise ForbiddenError(f"{fullname} is not allowed in this assignment")
        if fullname not in {module for module, _ in self.attributes}:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Rerun(spec.loader, self)
                return spec
        return None

    def apply(self) -> None:
        """Forbid everything listed, in the modules loaded now."""
        for name in list(sys.modules):
            if self._banned(name):
                del sys.modules[name]
        for banned in self.modules:
            parent, _, child = banned.rpartition(".")
            if parent and parent in sys.modules:
                vars(sys.modules[parent]).pop(child, None)
        for module_name, path in self.attributes:
            dotted = ".".join([module_name, *path])
            try:
                owner: Any = importlib.import_module(module_name)
                for part in path[:-1]:
                    owner = getattr(owner, part)
            except Exception:  # noqa: BLE001 - not installed: nothing to forbid
                continue
            stub = self.stubs.setdefault(dotted, _stub(dotted))
            original = vars(owner).get(path[-1]) if hasattr(owner, "__dict__") else None
            if original is not None and original is not stub:
                self.originals[id(original)] = dotted
            try:
                setattr(owner, path[-1], stub)
            except (AttributeError, TypeError):  # a built-in type's attribute: cannot be set
                continue
        self._replace_aliases()

    def _replace_aliases(self) -> None:
        for module in list(sys.modules.values()):
            space = getattr(module, "__dict__", None)
            if not isinstance(space, dict):
                continue
            for key, value in list(space.items()):
                dotted = self.originals.get(id(value))
                if dotted is not None:
                    space[key] = self.stubs[dotted]


def split(names: Iterable[str]) -> tuple[list[str], list[tuple[str, tuple[str, ...]]]]:
    """The modules, and the (module, attribute path) pairs, among dotted names: a name
    that imports as a module is a module; otherwise its longest prefix that does is the
    module and the rest a path of attributes ("scipy.spatial.transform" and
    ("Rotation", "align_vectors"))."""
    modules: list[str] = []
    attributes: list[tuple[str, tuple[str, ...]]] = []
    for name in names:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            if cut == len(parts):
                modules.append(name)
            else:
                attributes.append((".".join(parts[:cut]), tuple(parts[cut:])))
            break
    return modules, attributes


def install(names: Sequence[str]) -> Forbidden:
    modules, attributes = split(names)
    forbidden = Forbidden(modules, attributes)
    forbidden.apply()
    sys.meta_path.insert(0, forbidden)
    reload = importlib.reload

    def reload_and_forbid(module: Any) -> Any:
        result = reload(module)
        forbidden.apply()
        return result

    importlib.reload = reload_and_forbid
    return forbidden
