"""The boundary between the teacher's tests and the student's code (not yet used by grading).

The design (issue "Tamper-proof by design"): the teacher's tests run in a trusted process
where no student code runs; the student's code runs in the sandboxed kernel; what crosses
between them is plain data (numbers, strings, bytes, numeric arrays, and lists, tuples and
str-keyed dicts of them), and handles for any other object. The trusted side never calls
a method of an object the student made: a handle (handles.Remote) can only be passed back,
or used to ask the student's side for an attribute, a call or an item, whose answers are
plain data or handles again. So a verdict is computed from data by the teacher's code
alone, and nothing the student defines (`__eq__`, `__array__`, a patched np.allclose) takes
part in it.

What the student's side computes is the student's answer, whoever wrote the code that ran
there: a verdict is sound when the teacher's code judges data. E.g. sklearn's
cross_val_score with its default scorer calls the estimator's own score(), on the student's
side (a student's score() may return 1.0); with scoring="accuracy" the predictions cross as
data and are scored here.

    codec.py    plain data <-> a JSON header and binary buffers (both sides)
    handles.py  the student's side's HandleTable; the grading side's Remote, StudentError
    channel.py  frames over a stream socket; serve() (student's side), Client (grading side)

codec.py, handles.py and channel.py need the standard library and numpy only: the
student's kernel cannot import this package, so student_program() gives the source that
installs them there as a package of a random name. This file is the grading side's only.
"""

from __future__ import annotations

from pathlib import Path

from .channel import Client, serve
from .codec import BoundaryError, decode, encode
from .handles import HandleTable, Remote, StudentError

__all__ = [
    "BoundaryError",
    "Client",
    "HandleTable",
    "Remote",
    "StudentError",
    "decode",
    "encode",
    "serve",
    "student_program",
]

STUDENT_MODULES = ("codec", "handles", "channel")
"""The modules the student's side runs, in the order they import each other."""
INSTALLER = """\
def __autograder_boundary_install(name, sources):
    import sys, types
    package = types.ModuleType(name)
    package.__path__ = []
    package.__package__ = name
    sys.modules[name] = package
    for module_name, source in sources:
        module = types.ModuleType(f"{name}.{module_name}")
        module.__package__ = name
        sys.modules[module.__name__] = module
        setattr(package, module_name, module)
        exec(compile(source, f"<{name}.{module_name}>", "exec"), module.__dict__)
"""
"""Makes a package `name` of the sources, registered in sys.modules so that their relative
imports (`from . import codec`) find each other there, as they do here."""


def student_program(name: str) -> str:
    """Python source that installs the student's side of the boundary as the package `name`
    (then `sys.modules[name].channel.serve(sock, namespace)` answers requests). The sources
    travel as string literals, so the kernel's IPython transforms one line per module,
    not their text (as guard.Guard.install_code does)."""
    here = Path(__file__).parent
    sources = [(module, (here / f"{module}.py").read_text()) for module in STUDENT_MODULES]
    return (
        f"{INSTALLER}__autograder_boundary_install({name!r}, {sources!r})\n"
        "del __autograder_boundary_install\n"
    )
