"""What the Execute step needs from the job it runs for, passed as typed objects.

nbgrader builds its preprocessors from traitlets configuration, which carries only
plain values. The job's settings (its sandbox limits, the modules its kernels
preload, whether to sandbox at all) and the list that receives what the Execute
step finds (tampering, a kernel that died) travel instead in a context variable
that the job sets around its call into nbgrader (`running`). A job on another
thread of the same Dask worker has a context of its own, so it can neither wipe
nor take another job's findings.

Outside a job (a teacher running stock `nbgrader autograde` with the generated
nbgrader_config.py) there is no context: the Execute step runs unsandboxed with
default limits and logs its findings.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.config import Limits


@dataclass
class Run:
    """One job's execution settings and what its Execute step reported."""

    limits: Limits = field(default_factory=Limits)
    preload: tuple[str, ...] = ()
    sandboxed: bool = False
    forbidden: tuple[str, ...] = ()
    """What the student's code may not use (config `forbidden:`, runtime/forbidden.py)."""
    teacher_files: Path | None = None
    """The teacher's assignment folder: the files the trusted kernel that runs the tests
    works beside (never the submission's, which the student chose)."""
    findings: list[str] = field(default_factory=list)

    def report(self, finding: str) -> None:
        self.findings.append(finding)


_CURRENT: contextvars.ContextVar[Run] = contextvars.ContextVar("autograder_run")


@contextlib.contextmanager
def running(run: Run) -> Iterator[Run]:
    """Make `run` the one the Execute steps inside this block read and report to."""
    token = _CURRENT.set(run)
    try:
        yield run
    finally:
        _CURRENT.reset(token)


def current() -> Run | None:
    """The job being graded in this context, if any."""
    return _CURRENT.get(None)
