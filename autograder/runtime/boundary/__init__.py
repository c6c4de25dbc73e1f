"""The boundary between the teacher's tests and the student's code.

The design (issue "Tamper-proof by design"): the teacher's tests run in a trusted process
where no student code runs; the student's code runs in the sandboxed kernel; what crosses
between them is plain data (numbers, strings, bytes, numeric and text arrays, and lists,
tuples and dicts of them), and handles for any other object. The trusted side never calls
a method of an object the student made: a handle (handles.Remote) can only be passed back,
or used to ask the student's side for an attribute, a call or an item, whose answers are
plain data or handles again. The other way, the student's code gets handles to what a
test hands it that is not data (a callback, the teacher's environment), and can call
them, ask their public attributes and items: the teacher's code then runs, on data.
So a verdict is computed from data by the teacher's code alone, and nothing the student
defines (`__eq__`, `__array__`, a patched np.allclose) takes part in it.

What the student's side computes is the student's answer, whoever wrote the code that ran
there: a verdict is sound when the teacher's code judges data. E.g. sklearn's
cross_val_score with its default scorer calls the estimator's own score(), on the student's
side (a student's score() may return 1.0); with scoring="accuracy" the predictions cross as
data and are scored here.

    codec.py    plain data <-> a JSON header and binary buffers (both sides)
    handles.py  HandleTable (an end's own objects), Remote (the other end's), StudentError
    channel.py  frames over a stream socket; Peer, the same at both ends (requests,
                answers, nested calls), serve_at (the student's kernel at each test)

codec.py, handles.py and channel.py need the standard library and numpy only: neither
kernel (the student's, nor the trusted one that runs the tests, runtime/trusted.py) can
import this package, so kernel_program() gives the source that installs them there as a
package of a random name. This file is the grader's only.
"""

from __future__ import annotations

from pathlib import Path

from .channel import Peer, serve_at
from .codec import BoundaryError, decode, encode
from .handles import HandleTable, Remote, StudentError

__all__ = [
    "BoundaryError",
    "HandleTable",
    "Peer",
    "Remote",
    "StudentError",
    "decode",
    "encode",
    "serve",
    "kernel_program",
    "serve_at",
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


def kernel_program(name: str) -> str:
    """Python source that installs the boundary as the package `name` in a kernel (the
    student's then answers requests with `sys.modules[name].channel.serve(sock,
    namespace)`; the trusted kernel makes its Peer of `.channel`). The sources
    travel as string literals, so the kernel's IPython transforms one line per module,
    not their text (as guard.Guard.install_code does)."""
    here = Path(__file__).parent
    sources = [(module, (here / f"{module}.py").read_text()) for module in STUDENT_MODULES]
    return (
        f"{INSTALLER}__autograder_boundary_install({name!r}, {sources!r})\n"
        "del __autograder_boundary_install\n"
    )
