"""A grading worker's kernels: each started in a sandbox put back as new, in a state
built whole; and when one dies, or cannot start, the teacher is told why.

Each test uses a real sandbox and fork server (bubblewrap, root): CI installs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.utils import run_sync

from autograder.course.config import Limits
from autograder.course.errors import AutograderError
from autograder.runtime import context
from autograder.runtime import kernel_forkserver as forkserver
from autograder.runtime import worker_kernels as worker
from autograder.runtime.sandbox import unavailable_reason
from autograder.runtime.worker_kernels import WorkerState, fill_scratch, kernel_report, take_kernel
from tests.test_forkserver import _sandbox_processes

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        unavailable_reason() is not None and not os.environ.get("CI"),
        reason=f"sandbox unavailable: {unavailable_reason()}",
    ),
]

UID = 61995


@pytest.fixture
def st(tmp_path: Path) -> Iterator[WorkerState]:
    """A worker's state on a prepared sandbox; its server stopped and tmpfs gone after."""
    state = WorkerState(UID, -1, tmp_path / "sb", Limits(disk_mb=64))
    state.sandbox.prepare()
    try:
        yield state
    finally:
        worker._discard_warm(state)
        if state.server is not None:
            state.server.stop()
        state.sandbox.kill_processes()
        state.sandbox.release()


def started(st: WorkerState) -> list[str]:
    """Take a kernel as a job does; its messages if it dies before it is ready."""
    with context.running(context.Run()) as run:
        found = run.findings
        km = take_kernel(st)
        client = km.client()
        client.start_channels()
        try:
            run_sync(client.wait_for_ready)(timeout=60)
        except RuntimeError as exc:
            found.append(str(exc))
        finally:
            client.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
        found.extend(kernel_report(st, km))
    return found


def test_a_kernel_that_dies_while_starting_says_why(
    st: WorkerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was only "Kernel died before replying to kernel_info": its stderr went nowhere."""
    monkeypatch.setattr(forkserver, "KERNEL_ARGS", ("--no-such-flag-xyz",))
    found = started(st)
    assert "Kernel died before replying to kernel_info" in found
    said = "\n".join(found)
    assert "the kernel exited with status 2" in said
    assert "unrecognized arguments: --no-such-flag-xyz" in said


def test_a_kernel_killed_by_the_grader_reports_nothing(st: WorkerState) -> None:
    assert started(st) == []


def test_a_fork_server_that_cannot_start_is_reported_not_bypassed(
    st: WorkerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to be dropped silently, and kernels booted without it (and the guard's
    preparations): now the job fails with the server's own words."""
    monkeypatch.setattr(
        forkserver,
        "SERVER_SOURCE",
        "import sys\nsys.stderr.write('SERVER-BROKE: no ipykernel here\\n')\nsys.exit(3)",
    )
    with context.running(context.Run()) as run, pytest.raises(RuntimeError):
        take_kernel(st)
    found = run.findings
    said = "\n".join(found)
    assert "the sandbox's fork server did not start (exit status 3)" in said
    assert "SERVER-BROKE: no ipykernel here" in said
    assert st.kernels_started == 0
    assert _sandbox_processes(UID) == []


def test_a_kernel_forked_after_a_reset_works_in_its_folder(st: WorkerState) -> None:
    """The reset empties the home folder as root but keeps the mount point of the working
    folder in it: removed, the fork server's sandbox would lose its working folder."""
    for _ in range(2):  # the second kernel comes after a reset, from the same server
        with context.running(context.Run()):
            km = take_kernel(st)
        client = km.client()
        client.start_channels()
        try:
            run_sync(client.wait_for_ready)(timeout=60)
            reply = run_sync(client.execute_interactive)(
                "open('made-here', 'w').write('x')", timeout=60
            )
            assert reply["content"]["status"] == "ok"
            assert (st.sandbox.scratch / "made-here").is_file()
        finally:
            client.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
        worker.prestart(st)
        assert st.warm is not None
        assert not (st.sandbox.scratch / "made-here").exists()


def test_a_worker_state_is_kept_only_once_it_is_fully_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failed prepare() left a half-built state that later jobs then used as it was."""
    from autograder.runtime.sandbox import Sandbox

    prepared: list[Path] = []

    def prepare(self: Sandbox) -> None:
        prepared.append(self.root)
        if len(prepared) == 1:
            raise OSError(f"{self.root}: no room (test)")

    monkeypatch.setattr(Sandbox, "prepare", prepare)
    monkeypatch.setattr(worker, "_state", None)
    monkeypatch.setattr(worker, "_claims", [(61994, -1), (61995, -1)])
    limits = Limits(disk_mb=17)
    with pytest.raises(OSError, match="no room"):
        worker.state(limits)
    assert worker._state is None
    again = worker.state(limits)
    assert len(prepared) == 3  # the failed one, then the student's and the tests' sandboxes
    assert again.server is not None and worker._state is again
    assert again.root == Path("/run/autograder/sandbox-61994")
    assert again.trusted is not None and again.trusted.server is not None
    assert again.trusted.root == Path("/run/autograder/sandbox-61995")
    assert again.trusted.sandbox.peer == again.sandbox.boundary


def test_kernel_stderr_is_kept_short_and_plain() -> None:
    """What a notebook writes to its stderr is shown as written, never interpreted."""
    text = forkserver.plain_text(b"\x1b[2J\x1b]0;title\x07[bold]x[/] \xff\r\nnext\tline\n")
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "\\x1b[2J" in text and "[bold]x[/]" in text and "\ufffd" in text
    assert text.endswith("next\tline")


def test_assignment_files_larger_than_disk_mb_are_refused_by_name(
    st: WorkerState, tmp_path: Path
) -> None:
    source = tmp_path / "release"
    source.mkdir()
    with open(source / "data.bin", "wb") as data:
        data.truncate(65 * 2**20)  # sparse here, 65 MB once copied into the 64 MB sandbox
    with pytest.raises(AutograderError) as refused:
        fill_scratch(st, source)
    assert str(refused.value) == (
        f"{source}: the assignment's files do not fit in the sandbox's 64 MB: "
        "raise limits.disk_mb in the course config"
    )
