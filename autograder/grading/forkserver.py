"""Starting kernels by forking a warm Python in the sandbox, instead of booting one each time.

A grading worker starts one fork server (`forkserver_main`) in its sandbox, with
ipykernel and the assignment's imports loaded. Each kernel is then a fork of it,
which saves most of the CPU a kernel costs to boot: on a 2-core grader that CPU
is what limits how many submissions a minute can be graded.

jupyter_client still manages each kernel as a process it launched: the launched
process is a small relay (`RELAY`, standard library only) that asks the server
for a kernel and lives exactly as long as that kernel. Killing the relay kills
the kernel; the kernel's exit ends the relay. So `is_alive`, `shutdown_kernel`
and `kill` keep their meaning, with no custom provisioner.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import subprocess
import sys
from pathlib import Path

import nbformat

from autograder.sandbox import INSIDE_HOME, INSIDE_WORK, Sandbox

SERVER_SOURCE = (Path(__file__).parent / "forkserver_main.py").read_text()
SOCKET_NAME = "forkserver.sock"
KERNEL_ARGS = ("--HistoryManager.hist_file=:memory:",)
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
# Never loaded before the fork: they keep per-process state (matplotlib its config and
# cache folders, which a kernel's private /tmp would not hold), set up at import.
NOT_PRELOADED = ("matplotlib", "seaborn", "pylab", "IPython", "ipykernel")


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


RELAY = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\\n")
f = s.makefile("r")
if not f.readline():
    sys.exit("the fork server did not start a kernel")
line = f.readline()
sys.exit(int(line.split()[1]) if line.startswith("exit ") else 1)
"""


class ForkServer:
    """One worker's fork server: started once, replaced if it dies."""

    def __init__(self, sandbox: Sandbox, preload: tuple[str, ...]) -> None:
        self.sandbox = sandbox
        self.preload = preload
        self.process: subprocess.Popen[str] | None = None

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
            # Emptied for each kernel, but for the grader's own mounts in them.
            "private": ["/tmp", INSIDE_HOME, "/dev/shm"],
            "keep": [INSIDE_WORK, str(self.sandbox.runtime), str(self.sandbox.server_dir)],
            "preload": [*KERNEL_MODULES, *self.preload],
            "kernel_args": list(KERNEL_ARGS),
        }
        argv = [sys.executable, "-c", SERVER_SOURCE, json.dumps(settings)]
        self.process = subprocess.Popen(
            self.sandbox.wrap_server(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            self.stop()
            raise RuntimeError("the sandbox's fork server did not start")

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(OSError):
                self.process.kill()
            self.process.wait()
            self.process = None

    def kernel_argv(self) -> list[str]:
        """The command jupyter_client launches for a kernel: the relay to this server."""
        if not self.alive():
            self.start()
        return [sys.executable, "-I", "-S", "-c", RELAY, str(self.address), "{connection_file}"]
