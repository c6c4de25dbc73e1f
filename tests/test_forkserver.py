"""Kernels forked from a worker's fork server: fast, and still one clean sandbox each.

One grading run with a single worker, so consecutive submissions get kernels from
the same fork server: the first plants a process and files and breaks the folders it
was given (chmod 0, kernel.json turned into a folder), the next ones report what they
can see. Needs the sandbox (bubblewrap, root): CI installs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.course.config import Limits
from autograder.grading import store
from autograder.runtime.sandbox import Sandbox, unavailable_reason
from tests.conftest import invoker, mounted_sandbox
from tests.factory import course_config, make_repo, save, write_config
from tests.test_hostile import RIGHT_AREA, source, submission

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        unavailable_reason() is not None and not os.environ.get("CI"),
        reason=f"sandbox unavailable: {unavailable_reason()}",
    ),
]

MARK = "OBSERVED"
PLANT = """
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(300)
    os._exit(0)
for folder in ("/tmp", "/home/student", "/dev/shm"):
    open(os.path.join(folder, "planted"), "w").write("x")
    os.makedirs(os.path.join(folder, "locked", "inner"))
    open(os.path.join(folder, "locked", "inner", "planted"), "w").write("x")
    os.chmod(os.path.join(folder, "locked", "inner"), 0)
    os.chmod(os.path.join(folder, "locked"), 0)
# The folders the worker gave this kernel: the next kernel's must work all the same.
from ipykernel.kernelapp import IPKernelApp
connection_file = IPKernelApp.instance().connection_file
os.unlink(connection_file)
os.mkdir(connection_file)
os.chmod(os.path.dirname(connection_file), 0)
os.chmod(".", 0)
# System V objects outlive their process: a channel to the next submission, unless removed.
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
assert libc.shmget(0x5EC7, 4096, IPC_CREAT | 0o666) >= 0
assert libc.msgget(0x5EC8, IPC_CREAT | 0o666) >= 0
assert libc.semget(0x5EC9, 1, IPC_CREAT | 0o666) >= 0
"""
OBSERVE = f"""
import json, os, sys
obs = {{"argv0": open("/proc/self/cmdline").read().split("\\0")[1]}}
obs["numpy_preloaded"] = "numpy" in sys.modules
import numpy
me, uid = os.getpid(), os.getuid()
others = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        status = open(f"/proc/{{pid}}/status").read()
    except OSError:
        continue
    if int(pid) != me and int(status.split("Uid:")[1].split()[0]) == uid:
        others.append(pid)
status = open("/proc/self/status").read()
obs["others"] = others
obs["caps"] = {{l.split(":")[0]: l.split()[1] for l in status.splitlines() if l.startswith("Cap")}}
obs["no_new_privs"] = status.split("NoNewPrivs:")[1].split()[0]
obs["ids"] = [os.getresuid(), os.getresgid(), os.getgroups()]
obs["planted"] = [os.path.join(f, name) for f in ("/tmp", "/home/student", "/dev/shm")
                  for name in ("planted", "locked") if os.path.lexists(os.path.join(f, name))]
obs["random"] = float(numpy.random.rand())
obs["sysv"] = {{kind: open(f"/proc/sysvipc/{{kind}}").read().splitlines()[1:]
               for kind in ("shm", "msg", "sem")}}
print({MARK!r} + json.dumps(obs))
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_repo(tmp_path_factory.mktemp("forkserver") / "repo", notebook=source())
    (root / "assignments/demo/source/a1/demo.ipynb").rename(
        root / "assignments/demo/source/a1/circles.ipynb"
    )
    teacher = source()
    teacher.cells[1].source = "import math\nimport numpy.random"  # preloaded by the server
    save(teacher, root / "assignments/demo/source/a1/circles.ipynb")
    config = course_config()
    config["assignments"][0]["notebooks"] = [
        {"file": "circles.ipynb", "points": {"test_area": 2, "test_double": 1}}
    ]
    config["assignments"][0]["limits"] = {"cell_timeout": 20, "max_processes": 64}
    write_config(root, config)
    folder = root.parent / "class"
    save(submission(RIGHT_AREA, PLANT), folder / "a-plant" / "circles.ipynb")
    for name in ("b-observe", "c-observe"):
        notebook = submission(RIGHT_AREA)
        notebook.cells.insert(0, new_code_cell(OBSERVE))
        save(notebook, folder / name / "circles.ipynb")
    result = invoker(root)("grade", "demo", "a1", str(folder), "--workers", "1")
    assert result.exit_code == 0, result.output
    db = f"sqlite:///{root / 'assignments/demo/gradebook.db'}"
    return {"root": root, "records": store.load(db, "a1")}


def test_a_submission_that_breaks_its_folders_leaves_the_next_ones_graded(run: dict) -> None:
    """chmod 0 of the working and runtime folders, kernel.json made a folder: all reset."""
    for name in ("a-plant", "b-observe", "c-observe"):
        record = run["records"][name]
        assert (record.status, record.score) == (store.GRADED, 3), record.messages


@pytest.fixture(scope="module")
def observed(run: dict) -> dict[str, dict]:
    root = run["root"]
    found = {}
    for name in ("b-observe", "c-observe"):
        path = root / f"assignments/demo/autograded/{name}/a1/circles.ipynb"
        text = "\n".join(
            o.get("text", "")
            for c in nbformat.read(Path(path), as_version=4).cells
            if c.cell_type == "code"
            for o in c.outputs
        )
        line = next(x for x in text.splitlines() if x.startswith(MARK))
        found[name] = json.loads(line[len(MARK) :])
    return found


def test_kernels_are_forked_from_a_server_with_the_teachers_imports(observed: dict) -> None:
    for seen in observed.values():
        assert seen["argv0"] == "-c"  # the fork server's command line, not ipykernel_launcher
        assert seen["numpy_preloaded"]


def test_nothing_an_earlier_submission_started_is_still_running(observed: dict) -> None:
    assert observed["b-observe"]["others"] == []


def test_private_folders_are_emptied_between_submissions(observed: dict) -> None:
    assert observed["b-observe"]["planted"] == []


def test_forked_kernel_has_no_privileges(observed: dict) -> None:
    for seen in observed.values():
        (ruid, euid, suid), (rgid, egid, sgid), groups = seen["ids"]
        assert ruid == euid == suid != 0
        assert rgid == egid == sgid != 0
        assert groups == []
        assert set(seen["caps"].values()) == {"0000000000000000"}, seen["caps"]
        assert seen["no_new_privs"] == "1"


def test_no_system_v_object_of_an_earlier_submission_is_left(observed: dict) -> None:
    """Shared memory, message queues and semaphores outlive the kernel that made them."""
    assert observed["b-observe"]["sysv"] == {"shm": [], "msg": [], "sem": []}


def test_each_kernel_draws_its_own_random_numbers(observed: dict) -> None:
    assert observed["b-observe"]["random"] != observed["c-observe"]["random"]


def _sandbox_processes(uid: int) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if "\tZ (zombie)" not in text and text.split("Uid:")[1].split()[0] == str(uid):
            pids.append(int(status.parent.name))
    return pids


@pytest.fixture
def prepared(tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox with its tmpfs mounted, for uid 61998; unmounted after the test."""
    with mounted_sandbox(61998, tmp_path / "sb", Limits()) as sandbox:
        yield sandbox


def test_grader_kills_every_process_of_the_sandbox_uid(tmp_path: Path) -> None:
    sandbox = Sandbox(61999, tmp_path / "work", tmp_path / "run", Limits())
    # A process that detaches into its own session and forks, as leftovers would.
    script = "import os, time\nos.setsid()\nos.fork()\ntime.sleep(300)"
    drop = ["setpriv", "--reuid=61999", "--regid=61999", "--clear-groups"]
    launcher = subprocess.Popen([*drop, sys.executable, "-c", script])

    deadline = time.monotonic() + 10
    while len(_sandbox_processes(61999)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_sandbox_processes(61999)) == 2
    sandbox.kill_processes()
    assert _sandbox_processes(61999) == []
    launcher.wait(timeout=10)


def test_no_socket_of_an_earlier_kernel_is_left_for_the_next(prepared: Sandbox) -> None:
    """jupyter_client tests socket names one by one: a pile of stale ones slows each start."""
    for n in range(1, 6):
        (prepared.runtime / f"kernel-{n}").touch()
    (prepared.runtime / "kernel.json").write_text("{}")
    prepared.reset()
    assert list(prepared.runtime.iterdir()) == []


def test_a_forked_kernel_reports_its_own_exit_and_dies_when_shut_down(prepared: Sandbox) -> None:
    """jupyter_client sees a forked kernel through a handle, not a process of its own."""
    from jupyter_client.utils import run_sync

    from autograder.runtime.kernel_forkserver import ForkServer
    from autograder.runtime.sandbox import SandboxedKernelManager

    sandbox = prepared
    server = ForkServer(sandbox, ())
    try:
        exiting = SandboxedKernelManager(sandbox, fork=server.fork)
        run_sync(exiting.start_kernel)()
        client = exiting.client()
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=60)
        client.execute("import os; os._exit(3)")
        deadline = time.monotonic() + 10
        while run_sync(exiting.is_alive)() and time.monotonic() < deadline:
            time.sleep(0.01)
        client.stop_channels()
        assert exiting.provisioner.process.returncode == 3

        killed = SandboxedKernelManager(sandbox, fork=server.fork)
        run_sync(killed.start_kernel)()
        deadline = time.monotonic() + 10
        while not _sandbox_processes(61998) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _sandbox_processes(61998)
        run_sync(killed.shutdown_kernel)(now=True)
        assert not run_sync(killed.is_alive)()
        assert _sandbox_processes(61998) == []
    finally:
        server.stop()
