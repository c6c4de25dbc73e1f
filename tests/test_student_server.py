"""The toolkit's Jupyter server extension where a student installed the package (no hub).

The wheel puts `jupyter_server_config.d/autograder.json` into Jupyter's configuration
(tests/test_student_install.py checks it is in the wheel); here a plain Jupyter server
reads that same file, with nbgrader's own extensions enabled as nbgrader installs them,
and its Validate route must answer with `autograder check`'s verdict, not nbgrader's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import Invoke
from tests.hub import free_port

CONFIG = Path(__file__).resolve().parents[1] / "autograder" / "student"
TOKEN = "student-server-test"


@pytest.fixture
def server(repo: Path, cli: Invoke, tmp_path: Path) -> Iterator[str]:
    assert cli("release", "demo", "a1").exit_code == 0
    home = tmp_path / "home"
    home.mkdir()
    release = repo / "assignments/demo/release/a1/demo.ipynb"
    (home / "demo.ipynb").write_bytes(release.read_bytes())
    port = free_port()
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(CONFIG), "HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root",
         f"--port={port}", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={home}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/api/status", params={"token": TOKEN}, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_validate_answers_with_the_self_checks_verdict(server: str) -> None:
    reply = requests.post(
        f"{server}/assignments/validate",
        params={"path": "demo.ipynb"},
        headers={"Authorization": f"token {TOKEN}"},
        timeout=300,
    )
    assert reply.ok, reply.text
    (failed,) = reply.json()["value"]["failed"]
    assert failed["source"] == "Self-check of demo.ipynb: 0 of 2 visible tests pass"
    assert "Not answered yet: add, mul" in failed["error"]
