"""Kernels for untrusted student code: bubblewrap, a non-root uid and resource limits.

Each grading worker owns one uid (so RLIMIT_NPROC counts only its own kernel's
processes: `worker_kernels.claim_uid` takes one no account and no process uses) and one
folder only root can enter, `/run/autograder/sandbox-<uid>` (`private_root`), on
which it mounts a tmpfs of the assignment's `disk_mb`. Everything a kernel can
write lives on that tmpfs: its working folder (at /home/student/work), its home,
/tmp, /dev/shm and the runtime folder for its connection file and IPC sockets. So
what a submission writes is bounded as a whole, and the grader puts every folder
back, as root, before each kernel starts (`Sandbox.reset`): nothing one submission
leaves or breaks (files, a folder locked with chmod 0, kernel.json turned into a
folder) reaches the next one.

What a kernel sees (`Sandbox.mounts`): read-only, the system (/usr, /etc, /opt/conda)
and the Python installation (`readonly_paths`), each folder bound at its own path and
never the folder around it (a virtual environment inside the course checkout brings
nothing else of the checkout: the checkout is an empty folder holding it); a fresh
/proc and /dev; and the writable folders above. Nothing else: not the course
repository, its gradebook, the hidden tests, other submissions or the teacher's home.
No network; a cleared environment. The kernel talks to the grader over IPC sockets in
the runtime folder, because TCP loopback does not cross a network namespace. Timeouts
interrupt it by message, which reaches Python, not bwrap.

bwrap applies mounts in order, and a mount hides whatever earlier ones put below its
path: mounts are ordered by depth, so Python under /tmp, /home or /dev/shm is bound
inside the private folder, after it. A Python installation that holds one of the
private folders (it is / or /tmp itself), or lies under /proc, cannot be shown:
`check_layout` refuses it, naming the path, before anything is graded.

Launch chain: prlimit (memory, CPU time, processes, file size, core dumps) ->
bwrap as root without a user namespace (so it can bind the Python installation
wherever it lives) -> then either setpriv to the worker's uid (no groups, no
capabilities) -> python -m ipykernel_launcher (`wrap`), or, the usual way, the
worker's fork server (`wrap_server`, see runtime/kernel_forkserver.py), which keeps only
the capabilities needed to start each kernel as that uid and forks one per
submission. RLIMIT_NPROC applies from the uid switch on, per worker uid.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import platform
import shutil
import signal
import site
import stat
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any, cast

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Integer, Type, default
from zmq.utils.monitor import parse_monitor_message

from autograder.course.config import Limits
from autograder.course.errors import AutograderError

INSIDE_HOME = "/home/student"
INSIDE_WORK = f"{INSIDE_HOME}/work"
TOOLS = ("bwrap", "setpriv", "prlimit")
# A kernel started ahead of need may not have made its sockets yet when the grader
# connects. zmq then tries again only after 100 ms (and a socket left waiting holds up
# closing its context as long); a forked kernel makes them within a few tens of ms.
RECONNECT_MS = 5
# Input history stays in memory (In, _i, %history); no SQLite database is made for it.
KERNEL_ARGS = ("--HistoryManager.hist_file=:memory:", "--HistoryManager.enabled=False")
RUN_ROOT = Path("/run/autograder")
"""Root's own folder for the workers' uid claims and sandboxes (see `private_root`)."""
INODES_PER_MB = 64  # files a sandbox's tmpfs may hold, per MB of disk_mb (at least 4096)
# Folders on a sandbox's tmpfs: name -> (belongs to the sandbox uid, mode, path inside,
# or None for the runtime and server folders, bound at their own path).
FOLDERS: dict[str, tuple[bool, int, str | None]] = {
    "work": (True, 0o700, INSIDE_WORK),
    "run": (True, 0o700, None),
    "tmp": (False, 0o1777, "/tmp"),
    "home": (False, 0o1777, INSIDE_HOME),
    "shm": (False, 0o1777, "/dev/shm"),
    "server": (False, 0o700, None),
    # The trusted kernel's socket for the student's kernel (runtime/trusted_kernel.py): any
    # uid may make a file here (the trusted one does), none can list it or remove another's.
    "boundary": (False, 0o1733, None),
}
# Where each kernel gets fresh or private folders: no Python installation may hold one.
PRIVATE_PATHS = ("/proc", "/dev", "/tmp", INSIDE_HOME, INSIDE_WORK, "/dev/shm", str(RUN_ROOT))
_MS_NOSUID, _MS_NODEV = 2, 4
_MNT_DETACH, _UMOUNT_NOFOLLOW = 2, 8
_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


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
    """Remove everything in folder, never following a link out of it (nor folder itself,
    if it is one): the same removal as `Sandbox.reset`'s, from the open folder."""
    fd = os.open(folder, _OPEN_FOLDER)
    try:
        _empty(fd, set())
    finally:
        os.close(fd)


def _under(path: str, folder: str) -> bool:
    """Whether path lies strictly inside folder (both absolute, normalized: no "..", no
    trailing "/"). Plain string work: it runs for every pair of mounts before each kernel."""
    return path != folder and path.startswith(folder.rstrip("/") + "/")


def readonly_paths() -> list[str]:
    """The folders every kernel sees read-only, each bound at its own path: /usr, /etc,
    /opt/conda, and this Python's installation (its prefixes, a virtual environment's
    and the interpreter's it was made from, and its user site folder when in use).

    Only these folders are bound, never the folder around one: the folders leading to
    them are made empty in the sandbox. A folder inside another of the list is left out
    (the outer one shows it)."""
    paths = {sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths |= {"/usr", "/etc", "/opt/conda"}
    if site.ENABLE_USER_SITE:
        user_site = site.getusersitepackages()
        if user_site in sys.path:
            paths.add(user_site)
    found = sorted({os.path.abspath(p) for p in paths if os.path.isdir(p)})
    return [p for p in found if not any(_under(p, other) for other in found)]


def system_mounts(readonly: list[str]) -> list[tuple[str, list[str]]]:
    """(path, bwrap arguments) binding the system and Python read-only, each at its own
    path: `readonly` (see readonly_paths) and /lib, /lib64, /bin, /sbin as they are."""
    entries = [(path, ["--ro-bind", path, path]) for path in readonly]
    for name in ("/lib", "/lib64", "/bin", "/sbin"):
        if any(name == p or _under(name, p) for p in readonly):
            continue
        if os.path.islink(name):
            entries.append((name, ["--symlink", os.readlink(name), name]))
        elif os.path.isdir(name):
            entries.append((name, ["--ro-bind", name, name]))
    return entries


def ordered_mounts(entries: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The mounts in the order bwrap must apply them, with the folders leading to them.

    bwrap makes the folders leading to a mount point itself, with the caller's umask;
    made here, they are traversable by whoever runs inside (and empty). Sorted by depth:
    a mount comes after every mount at a folder above it (it would be hidden)."""
    mounted = {dest for dest, _ in entries}
    leading = {dest[:i] for dest in mounted for i in range(1, len(dest)) if dest[i] == "/"}
    entries = entries + [(path, ["--perms", "0755", "--dir", path]) for path in leading - mounted]
    return sorted(entries, key=lambda entry: (entry[0].count("/"), entry[0]))


def check_layout(readonly: Iterable[str], private: Iterable[str] = PRIVATE_PATHS) -> None:
    """Refuse a read-only folder that the sandbox cannot show: one that is or holds a
    folder each kernel gets privately (bound over it, it would hide the private one, or
    make it read-only), or one under /proc, where nothing can be mounted."""
    private = list(private)
    for path in readonly:
        clash = next((p for p in private if p == path or _under(p, path)), None)
        if clash is not None:
            raise AutograderError(
                f"{path}: cannot run kernels in the sandbox with Python installed here: this "
                f"folder holds {clash}, which each kernel gets a private copy of. Install "
                "Python (or its virtual environment) in another folder, such as /opt or /usr/local"
            )
        if _under(path, "/proc"):
            raise AutograderError(
                f"{path}: cannot run kernels in the sandbox with Python installed under /proc"
            )


def _check_ancestors(path: Path) -> None:
    """Refuse a path whose folders someone other than root could change: each must be
    root's and not writable by others (or sticky, as /tmp is, so that nobody else can
    rename or remove root's entries). Only then is what lstat says of path still true
    when it is used, and no link can be slipped in on the way to it."""
    for folder in reversed(path.parents):
        info = os.lstat(folder)
        mode = stat.S_IMODE(info.st_mode)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0:
            problem = "is a link or not root's folder"
        elif mode & 0o022 and not mode & stat.S_ISVTX:
            problem = f"is writable by others (mode {mode:04o})"
        else:
            continue
        raise AutograderError(
            f"{path}: cannot keep sandboxes here: {folder} {problem}, so another user "
            "could replace what is inside it"
        )


def _check_root_folder(path: Path, private: bool) -> None:
    """Refuse path unless it is a real folder (not a link) that belongs to root, and
    (private) only root can enter."""
    info = os.lstat(path)
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        problem = "is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        problem = "is not a folder"
    elif info.st_uid != 0:
        problem = f"belongs to uid {info.st_uid}, not root"
    elif private and mode & 0o077:
        problem = f"has mode {mode:04o}: others can enter it (it must be 0700)"
    else:
        return
    raise AutograderError(
        f"{path} {problem}; the grader keeps its sandboxes there and must be the only one "
        "who can change it. Remove it (the grader makes it again as it should be)"
    )


def private_root(path: Path = RUN_ROOT) -> Path:
    """Root's own folder for the workers' uid claims and sandboxes, made if missing.

    Never a shared temporary folder, where anyone can create the name first (as a link
    to a folder of root's, which root would then chown and empty). It is refused unless
    it is a real folder of root's, mode 0700, in folders only root can change."""
    path = Path(os.path.realpath(path.parent)) / path.name
    _check_ancestors(path)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    _check_root_folder(path, private=True)
    return path


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _tmpfs_mounted_at(path: Path) -> bool:
    with open("/proc/self/mountinfo") as mounts:
        for line in mounts:
            fields = line.split(" - ", 1)
            inside = fields[0].split()
            if len(inside) > 4 and inside[4] == str(path) and fields[1].startswith("tmpfs "):
                return True
    return False


def _open_folder(name: str, dir_fd: int, where: Path) -> int:
    """Open folder name in dir_fd, made if missing; never through a link."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o700, dir_fd=dir_fd)
    try:
        return os.open(name, _OPEN_FOLDER, dir_fd=dir_fd)
    except OSError as exc:
        raise AutograderError(f"{where / name}: not a folder the sandbox can use: {exc}") from exc


def _empty(fd: int, keep: set[tuple[str, ...]], at: tuple[str, ...] = ()) -> None:
    """Remove everything in the open folder fd but the folders in keep (paths relative to
    the folder emptied first; `at` is fd's), whose contents are emptied in turn. Works
    from the open folder: a link is removed, never followed."""
    for entry in list(os.scandir(fd)):
        rel = (*at, entry.name)
        is_dir = entry.is_dir(follow_symlinks=False)
        if is_dir:
            kept = rel in keep and entry.stat(follow_symlinks=False).st_uid == 0
            inner = os.open(entry.name, _OPEN_FOLDER, dir_fd=fd)
            try:
                _empty(inner, keep if kept else set(), rel)
            finally:
                os.close(inner)
            if not kept:  # shutil.rmtree(entry.name, dir_fd=fd), which Python 3.10 lacks
                os.rmdir(entry.name, dir_fd=fd)
        else:
            os.unlink(entry.name, dir_fd=fd)


@dataclass(frozen=True)
class Sandbox:
    """Where one worker's kernels run, and under which limits.

    Its folders are those of FOLDERS in `root`, the folder of scratch and runtime, on a
    tmpfs that `prepare` mounts there (and `release` removes)."""

    uid: int
    scratch: Path
    """Outside path of the kernel's working folder (bound at /home/student/work)."""
    runtime: Path
    """Outside folder for the connection file and IPC sockets (bound at the same path)."""
    limits: Limits
    peer: Path | None = None
    """Outside path of another sandbox's boundary folder, bound (writable) at the same
    path: the trusted kernel's sandbox gets the student's, to listen there."""

    def __post_init__(self) -> None:
        if (self.scratch.name, self.runtime.name) != ("work", "run") or (
            self.scratch.parent != self.runtime.parent
        ):
            raise ValueError(
                f"{self.scratch}, {self.runtime}: a sandbox's folders are work/ and run/ "
                "of one folder"
            )

    @property
    def root(self) -> Path:
        """The sandbox's own folder, holding its tmpfs."""
        return self.runtime.parent

    @property
    def boundary(self) -> Path:
        """Outside folder of the trusted kernel's socket (bound at the same path)."""
        return self.root / "boundary"

    @property
    def server_dir(self) -> Path:
        """Outside folder of the fork server's socket: root's alone, bound at the same path."""
        return self.root / "server"

    def prepare(self) -> None:
        """Mount a fresh tmpfs of `disk_mb` at root, with the sandbox's folders in it.

        A mount an earlier worker with this uid left (killed before it could release it)
        is removed first, and whatever was written on it with it. mount(2) follows links,
        so root's path is checked first: in folders only root can change, a real folder."""
        root = self.root
        _check_ancestors(root)
        self.release()
        with contextlib.suppress(FileExistsError):
            os.mkdir(root, 0o700)
        _check_root_folder(root, private=False)
        disk_mb = self.limits.disk_mb
        options = (
            f"size={disk_mb * 1024 * 1024},nr_inodes={max(4096, disk_mb * INODES_PER_MB)},"
            "mode=0700,uid=0,gid=0"
        )
        libc = _libc()
        if libc.mount(
            b"tmpfs", os.fsencode(root), b"tmpfs", _MS_NOSUID | _MS_NODEV, options.encode()
        ):
            error = ctypes.get_errno()
            raise AutograderError(f"{root}: cannot mount the sandbox's tmpfs: {os.strerror(error)}")
        self.reset()

    def release(self) -> None:
        """Unmount the sandbox's tmpfs; what kernels wrote there goes with it."""
        libc = _libc()
        while _tmpfs_mounted_at(self.root):
            flags = _MNT_DETACH | _UMOUNT_NOFOLLOW
            if libc.umount2(os.fsencode(self.root), flags):
                error = ctypes.get_errno()
                raise AutograderError(
                    f"{self.root}: cannot unmount the sandbox's tmpfs: {os.strerror(error)}"
                )

    def reset(self) -> None:
        """Put every folder a kernel can write back as `prepare` made it, before a kernel
        starts: work, run, tmp, home and shm are emptied and get their owner and mode
        again, as root. So nothing a submission left or broke there reaches the next one.

        Call it with no process of the uid alive (after `kill_processes`, which a job
        runs as soon as its kernel is shut down): nothing may write while it empties."""
        # The mount points bwrap made in the writable folders (work's in home, Python's in
        # tmp when it lives under /tmp) stay: removing one here would unmount it in the
        # fork server's sandbox. They are root's, so no kernel could write in them.
        inside = [dest for dest, _ in self.mounts(server=True)]
        root_fd = os.open(self.root, _OPEN_FOLDER)
        try:
            for name, (students, mode, _) in FOLDERS.items():
                dest = self._inside(name)
                keep = {
                    prefix
                    for path in inside
                    if _under(path, dest)
                    for parts in [tuple(path[len(dest) + 1 :].split("/"))]
                    for prefix in (parts[:n] for n in range(1, len(parts) + 1))
                }
                fd = _open_folder(name, root_fd, self.root)
                try:
                    if name != "server":  # root's alone; holds the running server's socket
                        _empty(fd, keep)
                    owner = self.uid if students else 0
                    os.fchown(fd, owner, owner)
                    os.fchmod(fd, mode)
                finally:
                    os.close(fd)
        finally:
            os.close(root_fd)

    def _inside(self, name: str) -> str:
        """Where folder name of the tmpfs is bound in the sandbox."""
        return FOLDERS[name][2] or str(self.root / name)

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

    def mounts(self, server: bool = False) -> list[tuple[str, list[str]]]:
        """(path inside, bwrap arguments) of everything a kernel (or the fork server)
        sees, in the order bwrap must apply them: a mount never comes after one below
        its path (it would hide it). Refuses (`check_layout`) a Python installation that
        holds a private folder."""
        names = [n for n in FOLDERS if server or n != "server"]
        writable = [(str(self.root / name), self._inside(name)) for name in names]
        readonly = readonly_paths()
        check_layout(readonly, ["/proc", "/dev", *(dest for _, dest in writable)])
        entries = [("/proc", ["--proc", "/proc"]), ("/dev", ["--dev", "/dev"])]
        entries += [(dest, ["--bind", host, dest]) for host, dest in writable]
        if self.peer is not None:
            entries.append((str(self.peer), ["--bind", str(self.peer), str(self.peer)]))
        return ordered_mounts(entries + system_mounts(readonly))

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
        return [*self._bwrap(False, ["--chdir", INSIDE_WORK]), "--", *drop, *argv]

    def wrap_server(self, argv: list[str]) -> list[str]:
        """A command that runs the fork server in the sandbox: root, with only the
        capabilities it needs to start each kernel as the sandbox uid."""
        caps = ["--cap-drop", "ALL"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL"):
            caps += ["--cap-add", cap]
        # Root without CAP_DAC_OVERRIDE cannot enter the student's folder; its kernels chdir.
        return [*self._bwrap(True, ["--chdir", "/", *caps]), "--", *argv]

    def _bwrap(self, server: bool, extra: list[str]) -> list[str]:
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
        for _, arguments in self.mounts(server):
            command += arguments
        command += [
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
    """A kernel client for untrusted kernels: ready as soon as the kernel answers on shell
    and IOPub, and never decoding more than the notebook may output.

    Ready: jupyter_client's `wait_for_ready` also waits for IOPub to stay quiet for 0.2 s,
    to drop stray messages: an idle pause on every kernel, which cost a grading worker
    a third of its time per submission. nbclient keeps only the IOPub messages whose
    parent is the cell it runs, so strays need no flushing.

    Bounded: jupyter_client decodes whatever arrives, and a 300 MB output message cost
    the grading host 1-3 GiB. Every socket of this client refuses, unread, a message
    part over `max_message_bytes` (zmq's MAXMSGSIZE: libzmq compares the size in the
    frame's header before it allocates anything), and queues about `QUEUE_BYTES` of
    them (RCVHWM; beyond it the kernel waits or drops, as its own memory allows). zmq
    refuses a message by dropping the connection (the channels make it again): what
    the kernel sent meanwhile is lost too. The shell and IOPub channels (`Channel`) see
    that happen and stand in for the request the grader sent last: IOPub with a note,
    "output too large", and the end of the cell's output (its own "idle" may be among
    what was lost, and nbclient would wait for it, then fail the notebook); shell with
    an error reply, OutputTooLarge, so the cell fails now instead of at its timeout.
    """

    HEADROOM = 64 * 1024
    """Bytes a message may have beyond the output budget: its header and JSON quoting."""
    QUEUE_BYTES = 64 * 1024 * 1024
    """Received messages zmq may hold for the grader (RCVHWM x largest message), unless
    an output budget over 16 MB makes four messages more."""

    max_message_bytes = Integer(
        help="The largest message part the grader reads; larger ones are dropped unread. "
        "By default, the kernel's output budget (Limits.max_output_kb) and HEADROOM."
    ).tag(config=True)

    @default("max_message_bytes")
    def _default_max_message_bytes(self) -> int:
        sandbox = getattr(self.parent, "sandbox", None)
        limits = sandbox.limits if isinstance(sandbox, Sandbox) else Limits()
        return limits.max_output_kb * 1024 + self.HEADROOM

    _request: dict[str, Any] | None = None
    """Header of the last request sent on shell: whose output and reply come next."""

    class Channel(AsyncZMQSocketChannel):
        """A shell or IOPub channel that stands in for what zmq refused (see the client).

        A socket monitor tells it of each connection lost; zmq gives up a connection
        on which it refused a message, so the channel connects again itself. Made again,
        the connection was lost to a refused message (or to frames that were not zmq's:
        also the kernel's doing); a kernel that died is not connected to again, and
        nbclient's own check finds it dead.
        """

        def __init__(
            self, socket: zmq.asyncio.Socket, session: Any, client: PromptKernelClient, kind: str
        ) -> None:
            super().__init__(socket, session)
            self.client = client
            self.kind = kind
            self._monitor: zmq.asyncio.Socket | None = socket.get_monitor_socket(
                zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED
            )
            self._poller = zmq.asyncio.Poller()
            self._poller.register(socket, zmq.POLLIN)
            self._poller.register(self._monitor, zmq.POLLIN)
            self._lost = False
            self._stand_ins: deque[dict[str, Any]] = deque()

        def send(self, msg: dict[str, Any]) -> None:
            self.client._request = msg["header"]
            super().send(msg)

        # Async where ZMQSocketChannel's is not: AsyncZMQSocketChannel ignores this too.
        async def get_msg(  # type: ignore[override]
            self, timeout: float | None = None
        ) -> dict[str, Any]:
            assert self.socket is not None
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                await self._read_monitor()
                if self._stand_ins:
                    return self._stand_ins.popleft()
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                ready = dict(await self._poller.poll(None if left is None else int(left * 1000)))
                if not ready:
                    raise Empty
                if self.socket in ready:
                    await self._read_monitor()  # a refusal comes before what followed it
                    if not self._stand_ins:
                        return await self._recv()

        async def _read_monitor(self) -> None:
            while self._monitor is not None and self.socket is not None:
                try:
                    frames = await self._monitor.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    return
                event = parse_monitor_message(frames)
                if event["event"] == zmq.EVENT_DISCONNECTED:
                    # zmq does not connect again after a refusal. What came before it is
                    # taken first: connecting again would discard it.
                    while True:
                        try:
                            self._stand_ins.append(await self._recv(flags=zmq.NOBLOCK))
                        except zmq.Again:
                            break
                    endpoint = event["endpoint"].decode()
                    with contextlib.suppress(zmq.ZMQError):
                        self.socket.disconnect(endpoint)
                    self.socket.connect(endpoint)
                    self._lost = True
                elif event["event"] == zmq.EVENT_CONNECTED and self._lost:
                    self._lost = False
                    self._stand_ins.extend(self._refused())

        def _refused(self) -> list[dict[str, Any]]:
            """What stands in for the refused message, for the request the grader awaits."""
            request = self.client._request
            if request is None or request.get("msg_type") != "execute_request":
                return []
            kb = self.client.max_message_bytes // 1024
            if self.kind == "iopub":
                note = (
                    f"[output cut by the grader: output too large (a message over {kb} KB "
                    "was dropped unread); what this cell printed after it is not kept]\n"
                )
                made = [
                    self.session.msg("stream", {"name": "stderr", "text": note}, parent=request),
                    self.session.msg("status", {"execution_state": "idle"}, parent=request),
                ]
            else:
                reason = f"output too large: the kernel's reply was over {kb} KB, dropped unread"
                content: dict[str, Any] = {
                    "status": "error",
                    "ename": "OutputTooLarge",
                    "evalue": reason,
                    "traceback": [f"OutputTooLarge: {reason}"],
                    "execution_count": None,
                    "user_expressions": {},
                }
                made = [self.session.msg("execute_reply", content, parent=request)]
            for msg in made:
                msg["buffers"] = []
            return made

        def close(self) -> None:
            if self._monitor is not None and self.socket is not None:
                with contextlib.suppress(zmq.ZMQError):
                    self.socket.disable_monitor()
                self._monitor.close(linger=0)
            self._monitor = None
            super().close()

        stop = close

    @property
    def shell_channel(self) -> Channel:
        if self._shell_channel is None:
            socket = self.connect_shell(identity=self.session.bsession)
            # An async client's context is zmq.asyncio's: so are the sockets it makes.
            self._shell_channel = self.Channel(
                cast(zmq.asyncio.Socket, socket), self.session, self, "shell"
            )
        return self._shell_channel

    @property
    def iopub_channel(self) -> Channel:
        if self._iopub_channel is None:
            socket = cast(zmq.asyncio.Socket, self.connect_iopub())
            self._iopub_channel = self.Channel(socket, self.session, self, "iopub")
        return self._iopub_channel

    def _limit_sockets(self) -> None:
        """Options every socket this client makes from now on starts with."""
        cap = self.max_message_bytes
        self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        self.context.setsockopt(zmq.MAXMSGSIZE, cap)
        self.context.setsockopt(zmq.RCVHWM, max(4, self.QUEUE_BYTES // cap))

    def _create_connected_socket(self, channel: str, identity: bytes | None = None) -> Any:
        self._limit_sockets()
        return super()._create_connected_socket(channel, identity)

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        self._limit_sockets()  # the heartbeat makes its socket in a thread of its own
        super().start_channels(*args, **kwargs)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Ready once a kernel_info request is answered on shell and IOPub speaks.

        A request sent while the kernel is still starting is answered late, after the
        next one is sent: any of the requests sent counts, or the client would stay one
        reply behind until the deadline."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        sent: set[str] = set()
        while True:
            sent.add(self.kernel_info())
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["parent_header"].get("msg_id") in sent:
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
    (kernel_forkserver.ForkedKernel). Signals reach the kernel through the handle,
    never a host process group: the kernel's pid is the sandbox's, not the host's."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        km = self.parent  # the SandboxedKernelManager that made this provisioner
        assert km is not None
        self.process = km.forked = km.fork(km.connection_file)
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

    client_class = DottedObjectName("autograder.runtime.sandbox.PromptKernelClient")
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
        self.forked: Any = None
        """The forked kernel's handle (kernel_forkserver.ForkedKernel), kept after shutdown: how
        it ended, and the end of its stderr."""
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

    CONTROL_MESSAGE_BYTES = 64 * 1024
    """The largest message read on the control channel, whose replies (to shutdown and
    interrupt requests) are a few hundred bytes: a larger one is the kernel's doing and
    is refused unread, as the client refuses oversized output (PromptKernelClient)."""

    def _connect_control_socket(self) -> None:
        self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        self.context.setsockopt(zmq.MAXMSGSIZE, self.CONTROL_MESSAGE_BYTES)
        self.context.setsockopt(zmq.RCVHWM, 16)
        super()._connect_control_socket()

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # jupyter_client checks every 0.1 s whether a killed kernel has gone; a grader
        # kills one per submission and waits for it, idle, so it looks more often.
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))

    @property
    def kernel_spec(self) -> KernelSpec | None:  # None, like jupyter_client's, once reset
        return self._kernel_spec

    def write_connection_file(self, **kwargs: object) -> None:
        super().write_connection_file(**kwargs)
        # The kernel runs as the sandbox uid and must read its own connection file.
        os.chown(self.connection_file, self.sandbox.uid, self.sandbox.uid)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        return command if self.fork else self.sandbox.wrap(command)


def require(allow_unsandboxed: bool, secrets: Iterable[Path] = ()) -> bool:
    """True to use the sandbox; False when the teacher opted out (--no-sandbox), even
    where the sandbox could run: the flag does what it says.

    Raises, before anything is graded, when the sandbox is missing and the teacher has
    not opted out; when this Python is installed where the sandbox cannot show it
    (`check_layout`); and when one of `secrets` (the course repository, the submissions)
    lies inside a folder every kernel sees read-only."""
    if allow_unsandboxed:
        return False
    reason = unavailable_reason()
    if reason is not None:
        raise AutograderError(
            f"cannot isolate student code: {reason}. Install bubblewrap, or pass "
            "--no-sandbox to grade WITHOUT isolation (student code then runs with your rights)"
        )
    readonly = readonly_paths()
    check_layout(readonly)
    for secret in secrets:
        real = os.path.realpath(secret)
        for path in readonly:
            shown = os.path.realpath(path)
            if real == shown or _under(real, shown):
                raise AutograderError(
                    f"{secret}: every sandboxed kernel could read this, since it lies in "
                    f"{path}, which kernels see read-only (the system or the Python "
                    "installation). Move it to another folder"
                )
    return True
