"""Students as real system users, for the tests of nbgrader's exchange and what uses it.

Each step runs as the student (tests/exchange_student.py), so what they can read is
the operating system's verdict. Needs root, to make the users.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RIGHT = {"add": "def add(a, b):\n    return a + b", "mul": "def mul(a, b):\n    return a * b"}


def make_user(name: str) -> None:
    """The system user `name`, with a private home and nothing left of an earlier run."""
    if subprocess.run(["id", name], capture_output=True).returncode != 0:
        subprocess.run(
            ["useradd", "--create-home", "--shell", "/usr/sbin/nologin", name], check=True
        )
    home = Path("/home") / name
    for leftover in (home / "a1", home / ".local"):
        shutil.rmtree(leftover, ignore_errors=True)
    home.chmod(0o700)


def as_student(user: str, action: str, exchange: Path, arg: str = "") -> dict:
    """One exchange step of the demo course's a1, done as `user`; what it saw."""
    argv = ["-m", "tests.exchange_student", user, action, "demo", "a1", str(exchange), arg]
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
