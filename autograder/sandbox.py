"""Kernels for untrusted student code: bubblewrap, a non-root uid and resource limits.

Each grading worker owns one uid (so RLIMIT_NPROC counts only its own kernel's
processes) and one scratch folder, the only writable place a kernel sees (at
/home/student/work). Inside: no network, a read-only view of the system and of
the Python installation and nothing else (not the course repository, its
gradebook, the hidden tests, other submissions or the teacher's home), a private
/tmp, a cleared environment. The kernel talks to the grader over IPC sockets in a
folder shared for that purpose, because TCP loopback does not cross a network
namespace. Timeouts interrupt it by message, which reaches Python, not bwrap.

Launch chain: prlimit (memory, CPU time, processes, file size, core dumps) ->
bwrap as root without a user namespace (so it can bind the Python installation
wherever it lives) -> then either setpriv to the worker's uid (no groups, no
capabilities) -> python -m ipykernel_launcher (`wrap`), or, the usual way, the
worker's fork server (`wrap_server`, see grading/forkserver.py), which keeps only
the capabilities needed to start each kernel as that uid and forks one per
submission. RLIMIT_NPROC applies from the uid switch on, per worker uid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

from autograder.config import Limits
from autograder.errors import AutograderError

INSIDE_HOME = "/home/student"
INSIDE_WORK = f"{INSIDE_HOME}/work"
TOOLS = ("bwrap", "setpriv", "prlimit")
# A kernel started ahead of need may not have made its sockets yet when the grader
# connects. zmq then tries again only after 100 ms (and a socket left waiting holds up
# closing its context as long); a forked kernel makes them within a few tens of ms.
RECONNECT_MS = 5
# Input history stays in memory (In, _i, %history); no SQLite database is made for it.
KERNEL_ARGS = ("--HistoryManager.hist_file=:memory:", "--HistoryManager.enabled=False")


def unavailable_reason() -> str | None:
    """Why the sandbox cannot run here, or None when it can."""
    if platform.system() != "Linux":
        return f"the sandbox needs Linux (this is {platform.system()})"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)} (Debian: apt-get install bubblewrap util-linux)"
    if os.geteuid() != 0:
        return "switching to the sandbox uid needs root (run the grader as root or in a container)"
    return None


def empty_folder(folder: Path) -> None:
    """Remove everything in folder, never following a link out of it."""
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@dataclass(frozen=True)
class Sandbox:
    """Where one worker's kernels run, and under which limits."""

    uid: int
    scratch: Path
    """Outside path of the kernel's working folder (bound at /home/student/work)."""
    runtime: Path
    """Outside folder for the connection file and IPC sockets (bound at the same path)."""
    limits: Limits

    def prepare(self) -> None:
        for folder in (self.scratch, self.runtime):
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, self.uid, self.uid)
            folder.chmod(0o700)
        # Sockets of kernels an earlier worker with this uid left running when it ended.
        # jupyter_client names a kernel's sockets by the first free numbers, testing
        # them one by one: left to pile up, they slow every kernel start.
        empty_folder(self.runtime)

    def kill_processes(self) -> None:
        """SIGKILL every live process of this sandbox's uid, until none is left.

        Run between submissions, before the grader touches the folders a kernel could
        write: nothing a submission started may outlive it (to race the grader's file
        operations with symlinks, or to meet the next submission's kernel).
        """
        for _ in range(1000):
            alive = False
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    fields = dict(
                        line.split(":", 1) for line in status.read_text().splitlines()[:12]
                    )
                except (OSError, ValueError):
                    continue
                if fields.get("State", "").strip()[:1] in ("Z", "X"):
                    continue  # already dead, waiting to be reaped
                if int(fields.get("Uid", "-1").split()[0]) == self.uid:
                    alive = True
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(status.parent.name), signal.SIGKILL)
            if not alive:
                return
            time.sleep(0.005)
        raise AutograderError(f"processes of sandbox uid {self.uid} survive SIGKILL")

    def readonly_paths(self) -> list[str]:
        paths = {sys.base_prefix, sys.prefix, sys.exec_prefix}
        for name in ("/usr", "/etc", "/opt/conda"):
            paths.add(name)
        return sorted(p for p in paths if Path(p).exists())

    @property
    def server_dir(self) -> Path:
        """Outside folder of the fork server's socket: root's alone, bound at the same path."""
        return self.runtime.parent / "server"

    def wrap(self, argv: list[str]) -> list[str]:
        """A command that runs argv in the sandbox as the sandbox uid."""
        drop = [
            "setpriv",
            f"--reuid={self.uid}",
            f"--regid={self.uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
        ]
        return [*self._bwrap(["--chdir", INSIDE_WORK]), "--", *drop, *argv]

    def wrap_server(self, argv: list[str]) -> list[str]:
        """A command that runs the fork server in the sandbox: root, with only the
        capabilities it needs to start each kernel as the sandbox uid."""
        self.server_dir.mkdir(mode=0o700, exist_ok=True)
        os.chown(self.server_dir, 0, 0)
        self.server_dir.chmod(0o700)
        caps = ["--cap-drop", "ALL"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL"):
            caps += ["--cap-add", cap]
        server = str(self.server_dir)
        # Root without CAP_DAC_OVERRIDE cannot enter the student's folder; its kernels chdir.
        return [*self._bwrap(["--bind", server, server, "--chdir", "/", *caps]), "--", *argv]

    def _bwrap(self, extra: list[str]) -> list[str]:
        limits = self.limits
        memory = limits.memory_mb * 1024 * 1024
        command = [
            "prlimit",
            f"--as={memory}",
            f"--cpu={limits.cpu_seconds}",
            f"--nproc={limits.max_processes}",
            f"--fsize={limits.max_output_kb * 1024 * 16}",
            "--core=0",
            "--nofile=512",
            "--",
            "bwrap",
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
        ]
        created: set[str] = set()

        def parents(path: str) -> list[str]:
            # bwrap creates the parents of a mount point; make them traversable by the kernel.
            out = []
            for parent in reversed(Path(path).parents[:-1]):
                if str(parent) not in created:
                    out += ["--perms", "0755", "--dir", str(parent)]
                    created.add(str(parent))
            return out

        for path in self.readonly_paths():
            command += [*parents(path), "--ro-bind", path, path]
        for name in ("lib", "lib64", "bin", "sbin"):
            if Path(f"/{name}").is_symlink():
                command += ["--symlink", os.readlink(f"/{name}"), f"/{name}"]
            elif Path(f"/{name}").is_dir():
                command += ["--ro-bind", f"/{name}", f"/{name}"]
        command += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--perms",
            "01777",
            "--tmpfs",
            "/tmp",
            "--perms",
            "0755",
            "--dir",
            "/home",
            "--perms",
            "01777",
            "--tmpfs",
            INSIDE_HOME,
            "--bind",
            str(self.scratch),
            INSIDE_WORK,
        ]
        created.add("/tmp")
        command += [
            *parents(str(self.runtime)),
            "--bind",
            str(self.runtime),
            str(self.runtime),
            *extra,
            "--clearenv",
            "--setenv",
            "HOME",
            INSIDE_HOME,
            "--setenv",
            "PATH",
            f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "--setenv",
            "LANG",
            "C.UTF-8",
            "--setenv",
            "MPLBACKEND",
            "Agg",
            "--setenv",
            "MPLCONFIGDIR",
            f"{INSIDE_WORK}/.matplotlib",
            "--setenv",
            "PYTHONDONTWRITEBYTECODE",
            "1",
        ]
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            command += ["--setenv", var, "1"]
        return command


class PromptKernelClient(AsyncKernelClient):
    """A kernel client that is ready as soon as the kernel answers on shell and IOPub.

    jupyter_client's `wait_for_ready` then also waits for IOPub to stay quiet for 0.2 s,
    to drop stray messages: an idle pause on every kernel, which cost a grading worker
    a third of its time per submission. nbclient keeps only the IOPub messages whose
    parent is the cell it runs, so strays need no flushing.
    """

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        super().start_channels(*args, **kwargs)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            msg_id = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["parent_header"].get("msg_id") == msg_id:
                try:  # IOPub is connected once the reply's status message comes through
                    await self.iopub_channel.get_msg(timeout=0.05)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


class ForkedProvisioner(LocalProvisioner):  # type: ignore[misc]
    """jupyter_client's local provisioner, for a kernel started by a call instead of a
    command: the kernel manager's `fork`, which returns a process-like handle
    (grading/forkserver.ForkedKernel). Signals reach the kernel through the handle,
    never a host process group: the kernel's pid is the sandbox's, not the host's."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        km = self.parent
        self.process = km.fork(km.connection_file)
        self.pid = self.process.pid
        self.pgid = None
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    async def wait(self) -> int | None:
        # The local provisioner looks every 0.1 s; a grader waits for a kernel per submission.
        while await self.poll() is None:
            await asyncio.sleep(0.005)
        return await super().wait()


class SandboxedKernelManager(AsyncKernelManager):
    """A Python kernel launched inside a Sandbox, reachable over IPC.

    `fork`, when given, starts the kernel inside the sandbox by itself (the worker's
    fork server) and returns a handle to it; otherwise the kernel is booted under `wrap`.
    """

    client_class = DottedObjectName("autograder.sandbox.PromptKernelClient")
    client_factory = Type(PromptKernelClient, klass=AsyncKernelClient)

    def __init__(
        self, sandbox: Sandbox, fork: Callable[[str], Any] | None = None, **kwargs: object
    ) -> None:
        runtime = sandbox.runtime
        super().__init__(
            transport="ipc",
            ip=str(runtime / "kernel"),
            connection_file=str(runtime / "kernel.json"),
            **kwargs,
        )
        self.sandbox = sandbox
        self.fork = fork
        self._kernel_spec = KernelSpec(
            argv=[
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
                *KERNEL_ARGS,
            ],
            display_name="Python 3 (sandbox)",
            language="python",
            interrupt_mode="message",
        )

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        if self.fork is not None and self.provisioner is None:
            self.kernel_id = self.kernel_id or str(uuid.uuid4())
            self.provisioner = ForkedProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)

    def _connect_control_socket(self) -> None:
        self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        super()._connect_control_socket()

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # jupyter_client checks every 0.1 s whether a killed kernel has gone; a grader
        # kills one per submission and waits for it, idle, so it looks more often.
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))

    @property
    def kernel_spec(self) -> KernelSpec:
        return self._kernel_spec

    def write_connection_file(self, **kwargs: object) -> None:
        super().write_connection_file(**kwargs)
        # The kernel runs as the sandbox uid and must read its own connection file.
        os.chown(self.connection_file, self.sandbox.uid, self.sandbox.uid)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        return command if self.fork else self.sandbox.wrap(command)


def require(allow_unsandboxed: bool) -> bool:
    """True to use the sandbox; False when the teacher opted out (--no-sandbox), even
    where the sandbox could run: the flag does what it says. Raises when the sandbox is
    missing and the teacher has not opted out."""
    if allow_unsandboxed:
        return False
    reason = unavailable_reason()
    if reason is not None:
        raise AutograderError(
            f"cannot isolate student code: {reason}. Install bubblewrap, or pass "
            "--no-sandbox to grade WITHOUT isolation (student code then runs with your rights)"
        )
    return True
