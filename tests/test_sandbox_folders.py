"""The folders a sandbox's kernels write: root's own, bounded, put back before each kernel.

Each test runs code in a real sandbox (bubblewrap, root): CI installs it.
"""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from autograder.course.config import Limits
from autograder.course.errors import AutograderError
from autograder.runtime.sandbox import Sandbox, private_root, readonly_paths, unavailable_reason
from autograder.runtime.worker_kernels import claim_uid, uids_in_use
from tests.conftest import mounted_sandbox

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        unavailable_reason() is not None and not os.environ.get("CI"),
        reason=f"sandbox unavailable: {unavailable_reason()}",
    ),
]

UID = 61996


@pytest.fixture
def prepared(tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox of 16 MB for uid UID, its tmpfs unmounted after the test."""
    with mounted_sandbox(UID, tmp_path / "sb", Limits(disk_mb=16)) as sandbox:
        yield sandbox


def run_inside(sandbox: Sandbox, code: str) -> str:
    """Run code with the sandbox's Python as its uid (booted directly, no fork server)."""
    done = subprocess.run(
        sandbox.wrap([sys.executable, "-c", code]), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def mounted(path: Path) -> bool:
    with open("/proc/self/mountinfo") as mounts:
        return any(line.split()[4] == str(path) for line in mounts)


def test_private_root_is_made_root_only(tmp_path: Path) -> None:
    made = private_root(tmp_path / "autograder")
    info = os.lstat(made)
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == 0
    assert stat.S_IMODE(info.st_mode) == 0o700


@pytest.mark.parametrize("planted", ["link", "someones", "open"])
def test_private_root_is_refused_when_someone_else_could_change_it(
    tmp_path: Path, planted: str
) -> None:
    """Made in advance as a link to a folder of root's, or as another user's folder, or
    open to others: root would chown and empty whatever it leads to."""
    victim = tmp_path / "victim"
    victim.mkdir()
    path = tmp_path / "autograder"
    if planted == "link":
        path.symlink_to(victim)
    else:
        path.mkdir(mode=0o755)
        os.chmod(path, 0o755)
        if planted == "someones":
            os.chown(path, 61234, 61234)
    with pytest.raises(AutograderError) as refused:
        private_root(path)
    assert str(refused.value).startswith(str(path))


def test_the_workers_folders_are_in_roots_own_folder() -> None:
    root = private_root()
    assert root == Path("/run/autograder")
    assert not Path(root).is_relative_to("/tmp")


def test_prepare_follows_no_link_planted_in_the_sandbox_folder(tmp_path: Path) -> None:
    """The old sandbox folder was /tmp/autograder-sandbox-<uid>: anyone could make its
    run/ a link to a folder of root's, which prepare then chowned and emptied."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious").write_text("root's")
    root = tmp_path / "sb"
    root.mkdir()
    (root / "run").symlink_to(victim)
    (root / "work").symlink_to(victim)
    sandbox = Sandbox(UID, root / "work", root / "run", Limits(disk_mb=16))
    sandbox.prepare()
    try:
        assert (victim / "precious").read_text() == "root's"
        assert victim.stat().st_uid == 0
        assert not (root / "run").is_symlink() and (root / "run").stat().st_uid == UID
    finally:
        sandbox.release()


def test_everything_a_kernel_can_write_is_bounded_by_disk_mb(prepared: Sandbox) -> None:
    """/tmp, the home and working folders, /dev/shm and the runtime folder together hold
    at most disk_mb (was: /tmp and /dev/shm unbounded, the others the host's disk)."""
    folders = ["/tmp", "/home/student", "/home/student/work", "/dev/shm", str(prepared.runtime)]
    code = f"""
import errno, json, os
found = {{}}
for folder in {folders!r}:
    written, full = 0, False
    try:
        while written < 64 * 2**20:
            with open(os.path.join(folder, f"fill-{{written}}"), "wb") as out:
                out.write(b"x" * 2**20)
            written += 2**20
    except OSError as exc:
        full = exc.errno == errno.ENOSPC
    found[folder] = [written, full]
print(json.dumps(found))
"""
    found = json.loads(run_inside(prepared, code))
    assert all(full for _, full in found.values()), found
    assert sum(written for written, _ in found.values()) <= 16 * 2**20


def test_reset_puts_back_every_folder_a_submission_broke(prepared: Sandbox) -> None:
    """Locked folders (chmod 0), kernel.json made a folder, files everywhere: gone."""
    run = str(prepared.runtime)
    run_inside(
        prepared,
        f"""
import os
for folder in ("/tmp", "/home/student", "/dev/shm", "/home/student/work", {run!r}):
    os.makedirs(os.path.join(folder, "locked", "inner"))
    open(os.path.join(folder, "locked", "inner", "left"), "w").write("x")
    os.chmod(os.path.join(folder, "locked", "inner"), 0)
    os.chmod(os.path.join(folder, "locked"), 0)
    os.symlink("/etc", os.path.join(folder, "link"))
os.mkdir({run + "/kernel.json"!r})
os.chmod({run!r}, 0)
os.chmod("/home/student/work", 0)
""",
    )
    prepared.reset()
    root = prepared.root
    expected = {"work": (UID, 0o700), "run": (UID, 0o700), "tmp": (0, 0o1777)}
    expected |= {"home": (0, 0o1777), "shm": (0, 0o1777)}
    for name, (owner, mode) in expected.items():
        info = os.lstat(root / name)
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (owner, mode), name
    # bwrap's mount points in the writable folders are kept: the working folder's in
    # the home folder, and in tmp the folders leading to whatever is bound under /tmp
    # (here the test's runtime folder; and Python, where it is installed under /tmp).
    bound = [PurePosixPath(p) for p in (*readonly_paths(), str(prepared.runtime))]
    leading = sorted({p.relative_to("/tmp").parts[0] for p in bound if p.is_relative_to("/tmp")})
    assert {name: sorted(os.listdir(root / name)) for name in expected} == {
        "work": [],
        "run": [],
        "tmp": leading,
        "home": ["work"],
        "shm": [],
    }
    assert Path("/etc/passwd").is_file()
    run_inside(prepared, "open('/home/student/work/ok', 'w').write('x')")  # usable again
    assert (prepared.scratch / "ok").is_file()


def test_release_leaves_nothing_on_the_host(prepared: Sandbox) -> None:
    """A GiB left in the runtime folder stayed on the host after the run (issue 14)."""
    run_inside(prepared, f"open({str(prepared.runtime / 'big')!r}, 'wb').write(b'x' * 2**20)")
    assert mounted(prepared.root)
    prepared.release()
    assert not mounted(prepared.root)
    assert os.listdir(prepared.root) == []


def test_a_uid_someone_uses_is_never_claimed(tmp_path: Path) -> None:
    """kill_processes kills every process of the claimed uid: so no account's uid, and no
    uid a host process runs as, is ever claimed, and such a process is never killed."""
    account = pwd.getpwnam("nobody").pw_uid
    drop = ["setpriv", "--reuid=61970", "--regid=61970", "--clear-groups"]
    host = subprocess.Popen([*drop, "sleep", "300"])
    try:
        deadline = time.monotonic() + 10
        while 61970 not in uids_in_use() and time.monotonic() < deadline:
            time.sleep(0.01)
        uid, lock = claim_uid([account, 61970, 61971], folder=tmp_path / "uids")
        os.close(lock)
        assert uid == 61971
        Sandbox(uid, tmp_path / "work", tmp_path / "run", Limits()).kill_processes()
        assert host.poll() is None
    finally:
        host.kill()
        host.wait()
