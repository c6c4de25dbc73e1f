"""Starting kernels by forking a warm Python in the sandbox, instead of booting one each time.

A grading worker starts one fork server (`forkserver_main`) in its sandbox, with
ipykernel and the assignment's imports loaded. Each kernel is then a fork of it,
which saves most of the CPU a kernel costs to boot: on a 2-core grader that CPU
is what limits how many submissions a minute can be graded.

jupyter_client manages each forked kernel through a `ForkedKernel`, a handle that
behaves as the process it would otherwise have launched (sandbox.ForkedProvisioner):
the handle's connection to the server is the kernel's life. The server reports the
kernel's exit on it, forwards signals sent over it, and kills the kernel when it is
shut. So `is_alive`, `shutdown_kernel` and `kill` keep their meaning without a
process of the grader's own per kernel.

Why a kernel or the server died is kept for the teacher: the last STDERR_TAIL bytes
each wrote to its stderr (`ForkedKernel.stderr_tail`, `ForkServer.stderr_tail`), as
plain text (`plain_text`): what a notebook writes there is shown, never interpreted.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import nbformat

from autograder.runtime.sandbox import INSIDE_WORK, KERNEL_ARGS, Sandbox

SERVER_SOURCE = (Path(__file__).parent / "kernel_forkserver_main.py").read_text()
SOCKET_NAME = "forkserver.sock"
# What an ipykernel imports while it starts (measured: a kernel's sys.modules after
# start, less those `ipykernel.kernelapp` brings): loaded once in the server instead.
KERNEL_MODULES = (
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.core.oinspect",
    "IPython.core.logger",
    "IPython.extensions.storemagic",
    "sqlite3",
    "psutil",
    "pdb",
    "pydoc",
)
# Loaded on first use by a package the teacher imports, so in every kernel again unless
# loaded here: numpy's random generators (measured: 10-25 ms per kernel), which tests
# use to make their data.
FIRST_USE = {"numpy": ("numpy.random",)}
# Never loaded before the fork: they keep per-process state (matplotlib its config and
# cache folders, which a kernel's private /tmp would not hold), set up at import.
NOT_PRELOADED = ("matplotlib", "seaborn", "pylab", "IPython", "ipykernel")
STDERR_TAIL = 4096  # bytes of a kernel's or the server's stderr reported (forkserver_main's too)


def plain_text(data: bytes) -> str:
    """Bytes a kernel or the server wrote, as text safe to store and show: decoded, with
    every control character but newline and tab written as an escape (no terminal
    sequences), surrounding blank space removed."""
    text = data.decode("utf-8", errors="replace")
    return "".join(
        c if c.isprintable() or c in "\n\t" else c.encode("unicode_escape").decode() for c in text
    ).strip()


def assignment_imports(source_dir: Path) -> tuple[str, ...]:
    """Top-level modules the teacher's notebooks import, to load before the fork.

    Asked once per submission: parsed again only when a notebook changed."""
    stats = [(path.name, path.stat()) for path in sorted(source_dir.glob("*.ipynb"))]
    stamps = tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)
    return _parsed_imports(source_dir, stamps)


@functools.lru_cache(maxsize=32)
def _parsed_imports(source_dir: Path, stamps: tuple[tuple[str, int, int], ...]) -> tuple[str, ...]:
    names: set[str] = set()
    for name, _, _ in stamps:
        try:
            notebook = nbformat.read(source_dir / name, as_version=4)
        except Exception:  # grading reports unreadable sources; preloading is only a speed-up
            continue
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)
    return tuple(sorted(n for n in names if n.split(".")[0] not in NOT_PRELOADED and n.isascii()))


class ForkedKernel:
    """A kernel the fork server forked, seen as a process (what jupyter_client's local
    provisioner expects of one): its pid inside the sandbox, poll, wait, signals.

    Protocol: the connection file's path and a newline go to the server, which answers
    "<pid>\\n" once it has forked and "exit <status> <n>\\n" and the last n bytes of the
    kernel's stderr when the kernel ends. A signal number and a newline sent to the
    server are delivered to the kernel; shutting the connection kills it."""

    stdin = stdout = stderr = None

    def __init__(self, address: Path, connection_file: str, timeout: float = 60) -> None:
        self.returncode: int | None = None
        self.stderr_tail = ""
        """The end of what the kernel wrote to its stderr, once it has ended."""
        self.killed = False
        """Ended because the grader killed it (not by itself)."""
        self.server_gone = False
        """Ended because the fork server went away."""
        self._received = b""
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(timeout)
            self._sock.connect(str(address))
            self._sock.sendall(connection_file.encode() + b"\n")
            while b"\n" not in self._received:
                chunk = self._sock.recv(4096)
                if not chunk:
                    raise RuntimeError("the fork server did not start a kernel")
                self._received += chunk
        except BaseException:
            self._sock.close()
            raise
        line, self._received = self._received.split(b"\n", 1)
        self.pid = int(line)
        self._sock.setblocking(False)
        self._take_exit()

    def _take_exit(self) -> None:
        """End the kernel's life here once the server's whole exit message is in."""
        if b"\n" not in self._received:
            return
        line, rest = self._received.split(b"\n", 1)
        words = line.decode(errors="replace").split()
        if len(words) != 3 or words[0] != "exit":
            self._end(-signal.SIGKILL)  # not the protocol: treat it as a dead server
            return
        if len(rest) >= int(words[2]):
            self.stderr_tail = plain_text(rest[: int(words[2])])
            self._end(int(words[1]))

    def _end(self, status: int) -> None:
        self.returncode = status
        self._sock.close()

    def poll(self) -> int | None:
        while self.returncode is None:
            try:
                chunk = self._sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                chunk = b""
            if not chunk:  # the server itself went away, and its kernels with it
                self.server_gone = True
                self._end(-signal.SIGKILL)
                break
            self._received += chunk
            self._take_exit()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("forked kernel", timeout or 0)
            time.sleep(0.005)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is not None:
            return
        if signum == signal.SIGKILL:
            self.kill()
            return
        try:
            self._sock.sendall(f"{int(signum)}\n".encode())
        except OSError:
            self.kill()

    def kill(self) -> None:
        if self.poll() is None:  # an exit already reported is the kernel's own
            self.killed = True
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkServer:
    """One worker's fork server: started once, replaced if it dies.

    Its stderr goes to an unnamed file of the grader's (read from the end, so it can
    neither fill a pipe nor block the server): bwrap's complaints and the server's
    tracebacks say why it failed or died."""

    def __init__(self, sandbox: Sandbox, preload: tuple[str, ...]) -> None:
        self.sandbox = sandbox
        self.preload = preload
        self.process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._reported = 0  # how much of the server's stderr was already reported

    @property
    def address(self) -> Path:
        return self.sandbox.server_dir / SOCKET_NAME

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.stop()
        self.address.unlink(missing_ok=True)
        settings = {
            "address": str(self.address),
            "uid": self.sandbox.uid,
            "workdir": INSIDE_WORK,
            "preload": [
                *KERNEL_MODULES,
                *self.preload,
                *(m for name in self.preload for m in FIRST_USE.get(name.split(".")[0], ())),
            ],
            "kernel_args": list(KERNEL_ARGS),
        }
        argv = [sys.executable, "-c", SERVER_SOURCE, json.dumps(settings)]
        command = self.sandbox.wrap_server(argv)
        # Unnamed: no path to replace with a link. Closed by stop().
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self._reported = 0
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            status = self.process.wait()
            said = self.stderr_tail()
            self.stop()
            raise RuntimeError(
                f"the sandbox's fork server did not start (exit status {status})"
                + (f"; its stderr ends with:\n{said}" if said else "; it wrote nothing to stderr")
            )
        # What it said while it started (debugpy's warnings) explains no kernel's end.
        self._reported = os.fstat(self._stderr.fileno()).st_size

    def stderr_tail(self) -> str:
        """The end of what the server wrote to its stderr since this was last asked."""
        if self._stderr is None:
            return ""
        fd = self._stderr.fileno()
        end = os.fstat(fd).st_size
        start = max(self._reported, end - STDERR_TAIL)
        self._reported = end
        return plain_text(os.pread(fd, end - start, start)) if end > start else ""

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(OSError):
                self.process.kill()
            self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def fork(self, connection_file: str) -> ForkedKernel:
        """A new kernel for this connection file (the server is started again if it died)."""
        if not self.alive():
            self.start()
        try:
            return ForkedKernel(self.address, connection_file)
        except (OSError, RuntimeError):
            if self.alive():
                raise
        self.start()
        return ForkedKernel(self.address, connection_file)
