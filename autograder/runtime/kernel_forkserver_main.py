"""The fork server that runs inside a worker's sandbox: one warm Python, a kernel per fork.

Booting Python and importing ipykernel, IPython, numpy and the assignment's other
imports costs a grading machine more CPU than running a typical submission. This
process pays for it once per worker: it imports them, then forks a child for each
submission, and the child becomes that submission's kernel.

It runs as root inside the sandbox, with only the capabilities it needs to start
a child as the student uid; nothing of the student's can reach it (its socket
lives in a folder only root can enter, and a student process can neither signal
nor trace a root process). Each child, before it runs any student code:
drops every capability and switches to the student uid (as `setpriv` does for a
directly started kernel), kills whatever an earlier submission left running under
that uid, removes the System V objects it left (they outlive processes), and reseeds
random generators so that it does not share its parent's
stream. (The grader empties the kernel's writable folders, as root, before each
kernel is started: sandbox.Sandbox.reset.)

A child's stderr is a pipe to the server, which keeps only its last STDERR_TAIL
bytes: why a kernel died (a traceback, a crash message) reaches the grader, while
whatever a notebook pours into it costs neither memory nor disk.

Protocol, one connection per kernel (from `kernel_forkserver.ForkedKernel`): the client
sends the connection file's path and a newline; the server answers "<pid>\\n" when
the child is forked and, when it ends, "exit <status> <n>\\n" followed by the last
n bytes the child wrote to its stderr, then closes. A signal number and a newline
from the client are delivered to the child; when the client shuts the connection
(or says anything else), the child is killed.

Runs as `python -c <this file> <settings as JSON>` inside the sandbox, where the autograder package
is not mounted: standard library and the kernel's own packages only.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import re
import selectors
import signal
import socket
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any, cast

PR_CAPBSET_DROP = 24
CAP_LAST = 63
LINUX_CAPABILITY_VERSION_3 = 0x20080522
STDERR_TAIL = 4096  # bytes of a kernel's stderr kept to say why it died


def drop_privileges(uid: int) -> None:
    """Become `uid` with no capabilities, now or after any exec (what setpriv does)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(CAP_LAST + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails harmlessly past the last cap
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    with open("/proc/self/status") as status:
        dropped = "CapEff:\t0000000000000000" in status.read()
    if os.getresuid() != (uid, uid, uid) or not dropped:
        raise SystemExit("could not drop privileges")


IPC_RMID = 0


def remove_system_v_objects() -> None:
    """Remove the shared memory segments, message queues and semaphore sets of this IPC
    namespace. Unlike a process or a file in the private folders, they outlive the kernel
    that made them, and every kernel of this server shares the namespace: left alone, one
    submission could leave data for the next. Run as the sandbox uid, which owns every
    object a kernel could make (the server makes none)."""
    libc = ctypes.CDLL(None, use_errno=True)
    remove = {
        "shm": lambda ident: libc.shmctl(ident, IPC_RMID, None),
        "msg": lambda ident: libc.msgctl(ident, IPC_RMID, None),
        "sem": lambda ident: libc.semctl(ident, 0, IPC_RMID),
    }
    for kind, rmid in remove.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                rows = table.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 1 and fields[1].isdigit():
                rmid(int(fields[1]))


def become_kernel(settings: dict[str, Any], connection_file: str, stderr: int) -> None:
    """In the forked child: isolate from the server and earlier submissions, then serve."""
    null = os.open(os.devnull, os.O_RDWR)  # not the server's pipe to the grader
    for fd in (0, 1):
        os.dup2(null, fd)
    os.close(null)
    os.dup2(stderr, 2)
    os.close(stderr)
    drop_privileges(settings["uid"])
    os.kill(-1, signal.SIGKILL)  # every process of this uid but this one: an earlier kernel's
    remove_system_v_objects()
    os.chdir(settings["workdir"])
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()
    sys.argv = ["ipykernel_launcher", "-f", connection_file, *settings["kernel_args"]]
    sys.path[0] = ""
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
    os._exit(0)


def warm_up_caches() -> None:
    """Fill, once here, the caches every kernel would otherwise fill for itself on its
    first cell and its first error: tokenize's patterns and IPython's transformation of
    a cell; the syntax highlighter and inspect's map from files to modules, which a
    traceback through a library's file needs (measured together: 15-20 ms per kernel)."""
    from IPython.core import ultratb
    from IPython.core.inputtransformer2 import TransformerManager

    TransformerManager().transform_cell("value = 1\nprint(value)\n")
    try:
        json.loads("{")  # an error raised in a library's file, as most are
    except ValueError:
        with contextlib.suppress(Exception):
            ultratb.AutoFormattedTB(mode="Context").structured_traceback(*sys.exc_info())


def spare_the_shell_work_grading_discards() -> None:
    """Costs IPython pays on every cell that a graded kernel gets nothing for.

    ipykernel transforms a cell's source (magics, !commands) and then hands the raw
    source to IPython's run_cell, which transforms it again, before any code of the
    cell runs: the second time returns the first result (measured: 16 ms per kernel).
    IPython formats each error twice: once for the output the grader reads, once more
    for its own history, which nobody reads here; that copy is now the standard
    library's plain traceback (measured: 16 ms per failing kernel).
    ipykernel and then run_cell each compile a cell once more only to learn whether it
    awaits at top level, which needs `await`, `async for` or `async with`: a cell
    without those words is not compiled for that."""
    import traceback

    from IPython.core import interactiveshell
    from IPython.core.interactiveshell import InteractiveShell

    should_be_async = interactiveshell._should_be_async

    def _should_be_async(cell: str) -> bool:
        if cell.isascii() and "await" not in cell and "async" not in cell:
            return False
        return should_be_async(cell)

    interactiveshell._should_be_async = _should_be_async

    transform = InteractiveShell.transform_cell
    last: dict[str, Any] = {}

    def transform_cell(self: InteractiveShell, raw_cell: str) -> Any:
        # The same text, in the same shell, at the same execution: no code ran between.
        key = (id(self), self.execution_count, raw_cell)
        if last.get("key") != key:
            last["value"] = transform(self, raw_cell)
            last["key"] = key
        return last["value"]

    def plain_for_storage(
        self: InteractiveShell,
        exception: BaseException,
        filename: str | None = None,
        running_compiled_code: bool = False,
    ) -> dict[str, Any]:
        return {
            "ename": type(exception).__name__,
            "evalue": str(exception),
            "traceback": traceback.format_exception(exception),
        }

    # Patched on purpose: this program's own IPython, in the kernels it forks.
    InteractiveShell.transform_cell = transform_cell  # type: ignore[method-assign]
    InteractiveShell._format_exception_for_storage = plain_for_storage  # type: ignore[method-assign]


def dict_version_reader() -> Callable[[dict[Any, Any]], int] | None:
    """The version CPython keeps on every dict and changes with every change to it
    (PEP 509's `ma_version_tag`), as a function of the dict; None where this build does
    not keep one there (it is checked on a probe, not assumed from the version number).

    With it the guard learns which modules a notebook changed by reading one word per
    module. Comparing every attribute instead touches every object the modules hold,
    and in a forked kernel each touched page is copied: 65 ms of CPU per kernel."""
    if sys.implementation.name != "cpython" or ctypes.sizeof(ctypes.c_void_p) != 8:
        return None

    def version(d: dict[Any, Any]) -> int:
        return ctypes.c_uint64.from_address(id(d) + 24).value

    def used(d: dict[Any, Any]) -> int:
        return ctypes.c_ssize_t.from_address(id(d) + 16).value

    probe = {"a": 1}
    seen = [version(probe)]
    for change in (
        lambda: probe.__setitem__("a", 2),
        lambda: probe.__setitem__("b", 3),
        lambda: probe.pop("a"),
        lambda: probe.update(c=4),
        lambda: probe.clear(),
    ):
        change()
        seen.append(version(probe))
    probe["d"] = 5
    settled = version(probe)
    probe["d"] = 5  # the same value again: not a change
    if len(set(seen)) != len(seen) or version(probe) != settled or used(probe) != 1:
        return None
    return version


def picture_modules() -> None:
    """The guard's picture of every module loaded here (runtime/kernel_guard.py), taken once
    for all the kernels forked from this server instead of in each: name -> (module,
    names, values, version of its namespace), and the version reader."""
    version = dict_version_reader()
    pictures: dict[str, tuple[types.ModuleType, tuple[str, ...], tuple[Any, ...], int | None]] = {}
    for name, module in list(sys.modules.items()):
        if name in ("__main__", "sys", "builtins") or not isinstance(module, types.ModuleType):
            continue
        with contextlib.suppress(Exception):
            space = vars(module)
            seen = version(space) if version is not None else None
            pictures[name] = (module, tuple(space), tuple(space.values()), seen)
    # The guard takes it before notebook code; not an attribute sys is known to have.
    sys._autograder_modules = (pictures, version)  # type: ignore[attr-defined]


# What could make one of IPython's default input transformations change a cell (see
# inputtransformer2): a prompt to strip (>>>, ..., In [n]:), a blank or indented start,
# a line of only spaces and tabs (dedent empties it), an escape at the start of a line
# (% ! ? , ; / as in %magic, !ls, /f x), a magic or shell command assigned (x = %t, x =
# !ls), a help request (x?), or a line break other than "\n". A match is no proof of a
# change: such a cell is simply transformed by IPython itself.
MIGHT_TRANSFORM = re.compile(
    r"\A\s|>>>|\.\.\.|In \[|^[ \t]+$|^[ \t]*[%!?,;/]|=[ \t\\\n]*[%!]|\?"
    r"|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]",
    re.MULTILINE,
)


def skip_tokenizing_plain_python() -> None:
    """IPython tokenizes every cell in pure Python to find its own syntax (%magic,
    !command, prompts): 10 ms for a typical notebook's cells. Plain Python, which is
    what graded notebooks hold, comes out as it went in (with a final newline), so a
    cell that has none of that syntax skips it; with any other transformations than
    IPython's defaults installed, every cell goes through them as before."""
    from IPython.core import inputtransformer2 as it2

    defaults = (
        [it2.leading_empty_lines, it2.leading_indent, it2.classic_prompt, it2.ipython_prompt],
        [it2.cell_magic],
        [it2.MagicAssign, it2.SystemAssign, it2.EscapedCommand, it2.HelpEnd],
    )
    transform = it2.TransformerManager.transform_cell

    def transform_cell(self: it2.TransformerManager, cell: str) -> str:
        if (
            cell
            and (self.cleanup_transforms, self.line_transforms, self.token_transformers) == defaults
            and not MIGHT_TRANSFORM.search(cell)
        ):
            return cell if cell.endswith("\n") else cell + "\n"
        return transform(self, cell)

    it2.TransformerManager.transform_cell = transform_cell  # type: ignore[method-assign]  # on purpose


def read_tail(fd: int, tail: bytearray) -> bool:
    """Read what fd has now into tail, keeping its last STDERR_TAIL bytes; False at its end."""
    while True:
        try:
            data = os.read(fd, 65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        if not data:
            return False
        tail += data
        del tail[:-STDERR_TAIL]


def serve(settings: dict[str, Any]) -> None:
    from ipykernel import kernelapp  # noqa: F401  (the point: imported once, here)

    for name in settings["preload"]:
        with contextlib.suppress(Exception):  # if it fails here, it fails in the notebook too
            importlib.import_module(name)
    spare_the_shell_work_grading_discards()
    warm_up_caches()
    skip_tokenizing_plain_python()
    picture_modules()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(settings["address"])
    listener.listen(8)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    # A child's exit wakes the loop at once, so its client hears of it without delay.
    wake, woken = socket.socketpair()
    for end in (wake, woken):
        end.setblocking(False)
    signal.set_wakeup_fd(woken.fileno(), warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    selector.register(wake, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}  # pid -> connection
    stderrs: dict[int, tuple[int, bytearray]] = {}  # pid -> (its stderr pipe, its last bytes)
    print("ready", flush=True)
    while True:
        for key, _ in selector.select(timeout=1):
            if key.fileobj is wake:
                with contextlib.suppress(OSError):
                    wake.recv(4096)
            elif key.fileobj is listener:
                conn, _ = listener.accept()
                request = b""
                while not request.endswith(b"\n"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    request += chunk
                connection_file = request.decode().strip()
                if not connection_file:
                    conn.close()
                    continue
                err_read, err_write = os.pipe()
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:  # nothing of the server's may reach student code
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        selector.close()
                        listener.close()
                        for other in [conn, wake, woken, *children.values()]:
                            other.close()
                        for other_fd, _ in stderrs.values():
                            os.close(other_fd)
                        os.close(err_read)
                        become_kernel(settings, connection_file, err_write)
                    except SystemExit as exc:  # as Python would exit, message and status
                        if isinstance(exc.code, int):
                            code = exc.code
                        elif exc.code is None:
                            code = 0
                        else:
                            print(exc.code, file=sys.stderr)
                    except BaseException:
                        traceback.print_exc()  # to the kernel's stderr, which the grader reports
                    finally:
                        with contextlib.suppress(Exception):
                            sys.stderr.flush()
                        os._exit(code)
                os.close(err_write)
                os.set_blocking(err_read, False)
                stderrs[pid] = (err_read, bytearray())
                selector.register(err_read, selectors.EVENT_READ, ("stderr", pid))
                children[pid] = conn
                selector.register(conn, selectors.EVENT_READ, pid)
                conn.sendall(f"{pid}\n".encode())
            elif isinstance(key.data, tuple):  # a child wrote to its stderr
                fd, tail = stderrs[key.data[1]]
                if not read_tail(fd, tail):
                    selector.unregister(fd)
            else:
                pid = key.data
                try:
                    message = cast(socket.socket, key.fileobj).recv(64)
                except OSError:
                    message = b""
                signums = message.split()
                if message.endswith(b"\n") and all(n.isdigit() for n in signums):
                    for signum in signums:  # a signal for the kernel
                        with contextlib.suppress(OSError, ValueError):
                            os.kill(pid, int(signum))
                    continue
                # The client went away (or spoke out of turn): the kernel goes too.
                selector.unregister(key.fileobj)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            tail = bytearray()
            if pid in stderrs:
                fd, tail = stderrs.pop(pid)
                read_tail(fd, tail)  # what it wrote just before it ended
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(fd)
                os.close(fd)
            client = children.pop(pid, None)
            if client is not None:
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(client)
                code = os.waitstatus_to_exitcode(status)
                with contextlib.suppress(OSError):
                    client.sendall(f"exit {code} {len(tail)}\n".encode() + bytes(tail))
                client.close()


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
