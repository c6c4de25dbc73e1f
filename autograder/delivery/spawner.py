"""Each hub user's JupyterLab: their own system user, in a sandbox, under limits.

JupyterHub's LocalProcessSpawner starts the server as the user. That alone is not
enough here, for two reasons:

- the toolkit's Python may live where students cannot read (pyenv under /root, a
  virtual environment inside the teacher's checkout). bubblewrap, started as root,
  binds the Python installation and the toolkit's package read-only at their own
  paths, and nothing else of the checkout: never its sources, hidden tests or
  gradebook. Only then does `setpriv` become the user;
- a student's server must not take the machine from the others: each user gets a
  cgroup with the memory and CPU of their courses (`hub:` in the course config),
  which all the server's processes (kernels included) share.

Inside, the user sees the system read-only, their own home (read-write), the
exchange, a private /tmp, the lectures' student copies (read-only) and the Jupyter
settings the hub writes for them (which nbgrader extensions they see, and the
toolkit's own: student/server.py). The network is shared: the server must
reach the hub and the proxy on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Dict, Unicode

from autograder.course.config import HubSettings
from autograder.runtime.sandbox import ordered_mounts, readonly_paths, system_mounts
from autograder.student.server import LECTURES_ENV

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_NAME = "autograder-hub"
PACKAGE = Path(__file__).resolve().parents[1]  # the autograder package, bound read-only
CPU_PERIOD_US = 100_000


def server_mounts(readwrite: list[str], readonly: list[str]) -> list[tuple[str, list[str]]]:
    """What a server sees: the system, Python and the toolkit's package read-only, a private
    /tmp, and the folders given; nothing else of the machine or of the course checkout."""
    system = readonly_paths()
    entries = [
        ("/proc", ["--proc", "/proc"]),
        ("/dev", ["--dev", "/dev"]),
        ("/tmp", ["--tmpfs", "/tmp"]),
    ]
    entries += [(path, ["--bind", path, path]) for path in readwrite]
    entries += [(path, ["--ro-bind", path, path]) for path in readonly]
    if not any(str(PACKAGE).startswith(p + os.sep) for p in system):
        entries.append((str(PACKAGE), ["--ro-bind", str(PACKAGE), str(PACKAGE)]))
    return ordered_mounts(entries + system_mounts(system))


def sandbox_command(mounts: list[tuple[str, list[str]]], chdir: str) -> list[str]:
    # A PID namespace of its own: the server and its kernels die with it when the hub
    # stops the server or itself stops. --die-with-parent alone does not hold past
    # setpriv (a change of user clears the parent-death signal), and servers outlived
    # the hub. It also hides every other user's processes.
    bwrap = ["bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    for _, arguments in mounts:
        bwrap += arguments
    return [*bwrap, "--chdir", chdir, "--"]


def cgroup_dirs(user: str) -> dict[str, Path]:
    return {kind: CGROUP_ROOT / kind / CGROUP_NAME / user for kind in ("memory", "cpu")}


def limit_user(user: str, memory_mb: int, cpus: float) -> list[str]:
    """Make (or update) the user's cgroups; returns what could not be set, for the log."""
    missing = []
    for kind, folder in cgroup_dirs(user).items():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if kind == "memory":
                (folder / "memory.limit_in_bytes").write_text(str(memory_mb * 1024 * 1024))
            else:
                (folder / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
                (folder / "cpu.cfs_quota_us").write_text(str(int(cpus * CPU_PERIOD_US)))
        except OSError as error:
            missing.append(f"{kind} cgroup {folder}: {error.strerror}")
    return missing


def _join(user: str) -> Callable[[], None]:
    """Runs in the child before exec, still root: into the user's cgroups, to their home."""
    folders = list(cgroup_dirs(user).values())
    home = pwd.getpwnam(user).pw_dir

    def preexec() -> None:
        for folder in folders:
            with contextlib.suppress(OSError):  # logged when the cgroup was made
                (folder / "cgroup.procs").write_text(str(os.getpid()))
        os.chdir(home)

    return preexec


class StudentSpawner(LocalProcessSpawner):  # type: ignore[misc]
    exchange = Unicode(help="nbgrader's exchange folder, bound read-write.").tag(config=True)
    jupyter_config = Unicode(help="Folder of the Jupyter settings per role.").tag(config=True)
    lectures = Unicode(help="Folder of the lectures' student copies, bound read-only.").tag(
        config=True
    )
    limits = Dict(help="user -> [memory_mb, cpus]").tag(config=True)
    roles = Dict(help="user -> 'teacher' or 'student'").tag(config=True)

    def make_preexec_fn(self, name: str) -> Callable[[], None]:
        return _join(name)

    def mounts(self, home: str) -> list[tuple[str, list[str]]]:
        readonly = [self.jupyter_config, *([self.lectures] if self.lectures else [])]
        return server_mounts([home, self.exchange], readonly)

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        role = self.roles.get(self.user.name, "student")
        env["JUPYTER_CONFIG_PATH"] = str(Path(self.jupyter_config) / role)
        env["PATH"] = f"{Path(sys.executable).parent}:/usr/bin:/bin"
        if self.lectures:
            env[LECTURES_ENV] = self.lectures
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
        return env

    async def start(self) -> Any:
        entry = pwd.getpwnam(self.user.name)
        default = HubSettings()
        memory_mb, cpus = self.limits.get(self.user.name, [default.memory_mb, default.cpus])
        for problem in limit_user(self.user.name, int(memory_mb), float(cpus)):
            self.log.warning("%s: no limit set: %s", self.user.name, problem)
        bwrap = sandbox_command(self.mounts(entry.pw_dir), entry.pw_dir)
        drop = [
            "setpriv",
            f"--reuid={entry.pw_uid}",
            f"--regid={entry.pw_gid}",
            "--init-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
        ]
        self.cmd = [*bwrap, *drop, str(Path(sys.executable).parent / "jupyterhub-singleuser")]
        return await super().start()
