"""What a kernel sees, as bwrap is told to build it: the order of the mounts, and the
Python installations and course folders the sandbox refuses to work with."""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

import pytest

from autograder.course.config import Limits
from autograder.course.errors import AutograderError
from autograder.runtime import sandbox
from autograder.runtime.sandbox import Sandbox

ROOT = Path("/run/autograder/sandbox-61900")


def plan(monkeypatch: pytest.MonkeyPatch, readonly: list[str]) -> list[tuple[str, list[str]]]:
    monkeypatch.setattr(sandbox, "readonly_paths", lambda: readonly)
    return Sandbox(61900, ROOT / "work", ROOT / "run", Limits()).mounts(server=True)


@pytest.mark.parametrize(
    "python",
    [
        "/tmp/x/venv",  # a venv made in /tmp (issue 14): was hidden by the private /tmp
        "/home/student/venv",  # in the kernel's own home
        "/home/teacher/course/.venv",
        "/dev/shm/py",
        "/run/autograder/sandbox-61900/run/py",  # even in the runtime folder
    ],
)
def test_no_mount_hides_an_earlier_one(monkeypatch: pytest.MonkeyPatch, python: str) -> None:
    """bwrap applies mounts in order: one at or above an earlier one's path hides it."""
    entries = plan(monkeypatch, ["/etc", "/usr", python])
    dests = [PurePosixPath(dest) for dest, _ in entries]
    assert ("--ro-bind", python, python) in [tuple(args) for _, args in entries]
    for i, earlier in enumerate(dests):
        for later in dests[i + 1 :]:
            assert earlier != later
            assert not earlier.is_relative_to(later), f"{later} would hide {earlier}"


def test_only_pythons_own_folders_are_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A venv inside the course checkout: the checkout is an empty folder, never bound."""
    entries = plan(monkeypatch, ["/etc", "/usr", "/srv/course/.venv"])
    arguments = [tuple(args) for _, args in entries]
    assert ("--ro-bind", "/srv/course/.venv", "/srv/course/.venv") in arguments
    assert ("--perms", "0755", "--dir", "/srv/course") in arguments
    bound = [args[1] for args in arguments if args[0] in ("--bind", "--ro-bind")]
    assert not any(source in ("/srv", "/srv/course") for source in bound)


@pytest.mark.parametrize(
    ("python", "clash"),
    [("/", "/proc"), ("/tmp", "/tmp"), ("/home", "/home/student"), ("/dev", "/dev")],
)
def test_python_holding_a_private_folder_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, python: str, clash: str
) -> None:
    with pytest.raises(AutograderError) as refused:
        plan(monkeypatch, ["/usr", python])
    assert str(refused.value).startswith(f"{python}: ")
    assert clash in str(refused.value)


def test_python_under_proc_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AutograderError, match="^/proc/1/root/venv: .*under /proc"):
        plan(monkeypatch, ["/proc/1/root/venv"])


def test_grading_refuses_a_course_inside_a_folder_kernels_can_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Say the course lies inside the Python installation (or /usr): refused, named."""
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: None)
    monkeypatch.setattr(sandbox, "readonly_paths", lambda: ["/usr", str(tmp_path)])
    course = tmp_path / "courses" / "ml1"
    course.mkdir(parents=True)
    with pytest.raises(AutograderError) as refused:
        sandbox.require(allow_unsandboxed=False, secrets=[Path("/srv/elsewhere"), course])
    assert str(refused.value).startswith(f"{course}: every sandboxed kernel could read this")
    assert str(tmp_path) in str(refused.value)
    # The folder around the installation is no secret's problem: only the inside shows.
    assert sandbox.require(allow_unsandboxed=False, secrets=[tmp_path.parent]) is True


def test_this_pythons_installation_is_what_kernels_see() -> None:
    paths = sandbox.readonly_paths()
    assert sys.prefix in paths
    assert any(Path(sys.base_prefix).is_relative_to(p) for p in paths)
    sandbox.check_layout(paths)  # this machine's own Python can be sandboxed
