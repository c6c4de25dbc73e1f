"""A grading worker's kernels: its sandbox uid, kernel fork server and next kernel.

A worker process (a local pool process or a Dask worker) claims a sandbox uid of
its own for its lifetime, runs a kernel fork server in its sandbox
(runtime/kernel_forkserver.py) and keeps the next kernel started while it finishes
the current submission, so a submission never waits for Python to start. The state
is created on first use, or ahead of the first job by a local pool (`warm_up`,
grading/backends/local.py), and made anew when a job's limits or imports differ.
The Execute step that uses these kernels is runtime/execution.py.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import grp
import multiprocessing.util
import os
import pwd
import shutil
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.utils import run_sync

from autograder.course.config import Limits
from autograder.course.errors import AutograderError
from autograder.runtime import context
from autograder.runtime.kernel_forkserver import ForkedKernel, ForkServer
from autograder.runtime.sandbox import Sandbox, SandboxedKernelManager, empty_folder, private_root

UID_BASE = 61000
UID_COUNT = 2000
COPY_BACK_LIMIT = 20 * 1024 * 1024  # bytes of files a notebook may leave beside itself


@dataclass
class WorkerState:
    uid: int
    lock_fd: int
    root: Path
    limits: Limits
    preload: tuple[str, ...] = ()
    warm: SandboxedKernelManager | None = None
    server: ForkServer | None = None
    kernels_started: int = 0
    peer: Path | None = None
    """For the trusted kernels' state: the student's sandbox's boundary folder."""
    trusted: WorkerState | None = None
    """For the student's kernels' state: the state of the kernels that run the tests
    (runtime/trusted_kernel.py), in a sandbox of their own, with a uid of their own."""

    @property
    def sandbox(self) -> Sandbox:
        return Sandbox(self.uid, self.root / "work", self.root / "run", self.limits, self.peer)


_state: WorkerState | None = None
_claims: list[tuple[int, int]] = []
"""This process's sandbox uids (the student's kernels', the trusted kernels') and the
locks that hold them, kept for its whole life."""


def uids_in_use() -> set[int]:
    """Every uid a live process has (real, effective, saved or filesystem)."""
    used: set[int] = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        line = next((x for x in text.splitlines() if x.startswith("Uid:")), "")
        used.update(int(field) for field in line.split()[1:])
    return used


def _someones(uid: int, running: set[int]) -> bool:
    """Whether uid (also the group id a kernel gets) is an account's, a group's or a live
    process's: the sandbox must not share files, groups or processes with anyone."""
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
        except KeyError:
            continue
        return True
    return uid in running


def claim_uid(
    candidates: Iterable[int] = range(UID_BASE, UID_BASE + UID_COUNT),
    folder: Path | None = None,
) -> tuple[int, int]:
    """A uid for this worker's kernels, held by a lock for this process's life: one that
    no other live worker on this machine holds and that no account, group or running
    process uses (between submissions every process of it is killed).

    The locks are files in root's own folder (`sandbox.private_root`), opened without
    following links."""
    folder = folder or private_root() / "uids"
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        running = uids_in_use()
        for uid in candidates:
            if _someones(uid, running):
                continue
            flags = os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(str(uid), flags, 0o600, dir_fd=dir_fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return uid, fd
    finally:
        os.close(dir_fd)
    raise RuntimeError(
        f"no free sandbox uid in {folder}: too many grading workers on this machine, or "
        "every candidate uid belongs to an account or a running process"
    )


def state(limits: Limits, preload: tuple[str, ...] = ()) -> WorkerState:
    """This worker's sandbox, fork server and next kernel, made anew when the assignment's
    limits or imports differ from the last job's.

    The new state is built completely before it becomes the worker's: if preparing the
    sandbox fails, the next job tries again instead of finding it half made."""
    global _state
    if _state is not None and (_state.limits, _state.preload) == (limits, preload):
        return _state
    if _state is not None:
        _retire(_state)
        _state = None
    if not _claims:
        multiprocessing.util.Finalize(None, _release, exitpriority=10)
    while len(_claims) < 2:
        _claims.append(claim_uid())
    (uid, fd), (trusted_uid, trusted_fd) = _claims
    made = WorkerState(uid, fd, private_root() / f"sandbox-{uid}", limits, preload)
    made.sandbox.prepare()
    trusted = WorkerState(
        trusted_uid,
        trusted_fd,
        private_root() / f"sandbox-{trusted_uid}",
        limits,
        preload,
        peer=made.sandbox.boundary,
    )
    trusted.sandbox.prepare()
    made.server = ForkServer(made.sandbox, preload)
    trusted.server = ForkServer(trusted.sandbox, preload)
    made.trusted = trusted
    _state = made
    return made


def _retire(st: WorkerState) -> None:
    """Stop the state's next kernels and fork servers."""
    for each in (st, st.trusted):
        if each is None:
            continue
        _discard_warm(each)
        if each.server is not None:
            each.server.stop()


def _release() -> None:
    """At the worker's exit: stop its fork servers and unmount its sandboxes' tmpfs."""
    if _state is not None:
        _retire(_state)
        for each in (_state.trusted, _state):
            if each is not None:
                with contextlib.suppress(Exception):
                    each.sandbox.release()


def _discard_warm(st: WorkerState) -> None:
    if st.warm is not None:
        with contextlib.suppress(Exception):  # a kernel that already died is fine
            run_sync(st.warm.shutdown_kernel)(now=True)
        st.warm = None


def _fork(st: WorkerState) -> Callable[[str], ForkedKernel]:
    """How to start a kernel: from the worker's fork server, started (again) as needed.

    There is no other way. A kernel booted without the server would miss what it
    prepares (the guard's picture of the loaded modules, the preloaded imports), and
    a server that cannot start would go unnoticed: its failure, with its stderr, is
    the submission's error instead (take_kernel)."""
    if st.server is None:
        st.server = ForkServer(st.sandbox, st.preload)
    return st.server.fork


def _start(st: WorkerState) -> SandboxedKernelManager:
    """A new kernel, once every folder it can write is put back as new (Sandbox.reset)."""
    st.sandbox.reset()
    km = SandboxedKernelManager(st.sandbox, fork=_fork(st))
    run_sync(km.start_kernel)()
    st.kernels_started += 1
    return km


def prestart(st: WorkerState) -> None:
    """Launch the next kernel now; it starts while the grader records this submission.

    Never raises: the submission just graded is not failed for it, and the next job,
    which needs a kernel, starts one again and reports why it cannot (take_kernel)."""
    try:
        st.warm = _start(st)
    except Exception:
        st.warm = None


def warm_up(env: dict[str, str], limits: Limits | None, preload: tuple[str, ...]) -> None:
    """A pool worker's first act: take on the coordinator's environment, then start the
    sandbox, fork server and first kernel for the run's assignment (limits None: the
    run is unsandboxed). Never raises: a failure here would break the whole pool,
    while the first job meets the same problem and records it for its student."""
    os.environ.clear()
    os.environ.update(env)
    if limits is None:
        return
    with contextlib.suppress(Exception):
        st = state(limits, preload)
        for each in (st, st.trusted):
            if each is not None and each.warm is None:
                prestart(each)


def take_kernel(st: WorkerState) -> SandboxedKernelManager:
    """The kernel started for this job, or a new one if it died; a kernel that cannot be
    started is this job's error, and why (the fork server's stderr) goes in its messages."""
    if st.warm is None or not run_sync(st.warm.is_alive)():
        _discard_warm(st)
        try:
            st.warm = _start(st)
        except Exception as exc:
            run = context.current()
            if run is not None:
                run.report(f"no kernel could be started: {exc}")
            raise
    km, st.warm = st.warm, None
    return km


def kernel_report(st: WorkerState, km: SandboxedKernelManager | None) -> list[str]:
    """Why the job's kernel ended, when it ended by itself (a crash, os._exit, a limit, a
    failed start) rather than being stopped by the grader: its exit status, the end of
    its stderr, and the end of the fork server's stderr if it wrote anything since.

    All of it plain text (forkserver.plain_text), bounded (forkserver.STDERR_TAIL)."""
    forked = getattr(km, "forked", None)
    if forked is None or forked.returncode is None or forked.killed:
        return []
    code = forked.returncode
    if forked.server_gone:
        how = "the kernel ended with the sandbox's fork server, which stopped"
    elif code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        limit = {"SIGXCPU": " (the CPU time limit)", "SIGXFSZ": " (the file size limit)"}
        how = f"the kernel was killed by {name}{limit.get(name, '')}"
    else:
        how = f"the kernel exited with status {code}"
    said = forked.stderr_tail
    lines = [f"{how}; its stderr ends with:\n{said}" if said else f"{how}; no stderr output"]
    server = st.server.stderr_tail() if st.server is not None else ""
    if server:
        lines.append(f"the sandbox's fork server's stderr ends with:\n{server}")
    return lines


def fill_scratch(st: WorkerState, source: Path) -> None:
    """The kernel's working copy: the assignment's files, owned by the sandbox uid."""
    scratch = st.sandbox.scratch
    empty_folder(scratch)
    try:
        for item in source.iterdir():
            if item.suffix == ".ipynb" or item.name == "timestamp.txt" or item.is_symlink():
                continue
            target = scratch / item.name
            if item.is_dir():
                shutil.copytree(item, target, symlinks=False)
            else:
                shutil.copyfile(item, target)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise AutograderError(
            f"{source}: the assignment's files do not fit in the sandbox's "
            f"{st.limits.disk_mb} MB: raise limits.disk_mb in the course config"
        ) from exc
    for path in [scratch, *scratch.rglob("*")]:
        os.chown(path, st.uid, st.uid, follow_symlinks=False)


def copy_back(st: WorkerState, target: Path) -> list[str]:
    """Files the notebook wrote go with the graded copy; never notebooks, links or huge files."""
    skipped, budget = [], COPY_BACK_LIMIT
    scratch = st.sandbox.scratch
    for path in sorted(scratch.rglob("*")):
        rel = path.relative_to(scratch)
        if (
            any(part.startswith(".") for part in rel.parts)
            or path.is_symlink()
            or not path.is_file()
        ):
            continue
        if path.suffix == ".ipynb" or rel.name == "timestamp.txt":
            skipped.append(str(rel))
            continue
        size = path.stat().st_size
        if size > budget:
            skipped.append(f"{rel} (too large)")
            continue
        budget -= size
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / rel, follow_symlinks=False)
    empty_folder(scratch)
    return skipped
