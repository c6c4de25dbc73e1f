"""`autograder hub`: a real JupyterHub with configurable-http-proxy, started by the test.

Two courses, a roster each; students sign in over HTTP as a browser would (the first
sign-in sets the password), their servers start as their own system users in the
hub's sandbox, and nbgrader's extension lists only the courses on their roster.
Needs root, bubblewrap and configurable-http-proxy (npm), which CI installs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from tornado.httpclient import HTTPRequest
from tornado.ioloop import IOLoop
from tornado.websocket import websocket_connect

from tests.conftest import invoker
from tests.factory import course_config, make_repo, write_config

PROXY = shutil.which("configurable-http-proxy")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        (os.geteuid() != 0 or PROXY is None) and not os.environ.get("CI"),
        reason="needs root and configurable-http-proxy",
    ),
]
ROSTERS = {
    "demo": "First name,Last name,Username\nAnna,Ek,hub-anna\nBo,Ås,hub-bo\n",
    "ml1": "Förnamn;Efternamn;Användarnamn\nBo;Ås;hub-bo\n",
}
PASSWORD = "correct horse 1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Hub:
    def __init__(self, repo: Path, state: Path, exchange: Path) -> None:
        self.repo, self.state, self.exchange = repo, state, exchange
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = state.parent / "hub.log"

    def start(self) -> None:
        argv = [
            str(Path(sys.executable).parent / "autograder"),
            "--root",
            str(self.repo),
            "hub",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--state",
            str(self.state),
            "--exchange",
            str(self.exchange),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/hub/api", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.5)
        raise AssertionError(f"the hub did not answer in 90 s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    def sign_in(self, user: str, password: str) -> requests.Session | None:
        """A browser's sign-in: the form with its XSRF cookie. None if refused."""
        session = requests.Session()
        session.get(f"{self.base}/hub/login", timeout=30)
        response = session.post(
            f"{self.base}/hub/login",
            data={"username": user, "password": password, "_xsrf": hub_xsrf(session)},
            timeout=60,
        )
        if "/hub/login" in response.url:
            return None
        session.headers["X-XSRFToken"] = hub_xsrf(session)
        return session

    def token(self, session: requests.Session, user: str) -> str:
        response = session.post(
            f"{self.base}/hub/api/users/{user}/tokens", json={"note": "test"}, timeout=30
        )
        response.raise_for_status()
        return str(response.json()["token"])

    def start_server(self, session: requests.Session, user: str) -> None:
        session.post(f"{self.base}/hub/api/users/{user}/server", timeout=30)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            info = session.get(f"{self.base}/hub/api/users/{user}", timeout=30).json()
            if info.get("servers", {}).get("", {}).get("ready"):
                return
            time.sleep(1)
        raise AssertionError(f"{user}'s server did not start:\n{self.log.read_text()[-3000:]}")


def hub_xsrf(session: requests.Session) -> str:
    """The hub's XSRF cookie (a user's server sets one of its own, on its own path)."""
    return next(
        c.value or "" for c in session.cookies if c.name == "_xsrf" and c.path.startswith("/hub")
    )


def run_code(hub: Hub, user: str, token: str, code: str) -> str:
    """Run code in a new kernel of the user's server; what it printed."""
    headers = {"Authorization": f"token {token}"}
    api = f"{hub.base}/user/{user}/api"
    kernel = requests.post(f"{api}/kernels", headers=headers, json={}, timeout=60).json()["id"]

    async def talk() -> str:
        url = f"ws://127.0.0.1:{hub.port}/user/{user}/api/kernels/{kernel}/channels"
        ws = await websocket_connect(HTTPRequest(url, headers=headers))
        msg_id = uuid.uuid4().hex
        ws.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": user,
                        "session": uuid.uuid4().hex,
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False},
                    "channel": "shell",
                }
            )
        )
        printed = []
        while True:
            message = json.loads(await ws.read_message())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                printed.append("ERROR " + message["content"]["evalue"])
            elif (
                message["msg_type"] == "status" and message["content"]["execution_state"] == "idle"
            ):
                ws.close()
                return "".join(printed)

    try:
        return IOLoop.current().run_sync(talk, timeout=120)
    finally:
        requests.delete(f"{api}/kernels/{kernel}", headers=headers, timeout=30)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    place = Path(tempfile.mkdtemp(prefix="ag-hub-"))
    place.chmod(0o755)
    repo = make_repo(tmp_path_factory.mktemp("hub") / "repo")
    shutil.copytree(repo / "assignments/demo/source", repo / "assignments/ml1/source")
    shutil.copytree(repo / "book/demo", repo / "book/ml1")
    write_config(repo, course_config("ml1"), "ml1")
    config = yaml.safe_load((repo / "course_configs/demo.yml").read_text())
    config["teachers"] = ["hub-teach"]
    config["hub"] = {"memory_mb": 1024, "cpus": 0.5}
    (repo / "course_configs/demo.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    cli = invoker(repo)
    for course, text in ROSTERS.items():
        (place / f"{course}.csv").write_text(text, encoding="utf-8")
        assert cli("roster", "import", course, str(place / f"{course}.csv")).exit_code == 0
    exchange = place / "exchange"
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)
    for course in ROSTERS:
        assert cli("release", course, "a1").exit_code == 0
        assert cli("publish", course, "a1", "--exchange", str(exchange)).exit_code == 0
    for name in ("hub-anna", "hub-bo"):  # a home left by an earlier run is started afresh
        subprocess.run(["userdel", "--remove", name], capture_output=True)
    running = Hub(repo, place / "state", exchange)
    running.start()
    yield running
    running.stop()
    shutil.rmtree(place, ignore_errors=True)


@pytest.fixture(scope="module")
def anna(hub: Hub) -> dict:
    session = hub.sign_in("hub-anna", PASSWORD)
    assert session is not None, hub.log.read_text()[-2000:]
    hub.start_server(session, "hub-anna")
    return {"session": session, "token": hub.token(session, "hub-anna")}


def test_someone_not_on_a_roster_cannot_sign_in(hub: Hub) -> None:
    assert hub.sign_in("hub-eve", PASSWORD) is None


def test_the_first_sign_in_sets_the_password(hub: Hub, anna: dict) -> None:
    assert hub.sign_in("hub-anna", "another password") is None
    assert hub.sign_in("hub-anna", PASSWORD) is not None


def test_a_students_server_runs_as_them_and_sees_nothing_of_the_course_files(
    hub: Hub, anna: dict
) -> None:
    code = (
        "import os, pwd, pathlib\n"
        "print(pwd.getpwuid(os.getuid()).pw_name, os.getcwd())\n"
        f"print('repo', pathlib.Path({str(hub.repo)!r}).exists())\n"
        f"print('source', pathlib.Path({str(hub.repo / 'assignments')!r}).exists())\n"
        "print('others', pathlib.Path('/home/hub-bo').exists())\n"
    )
    printed = run_code(hub, "hub-anna", anna["token"], code)
    assert "hub-anna /home/hub-anna" in printed
    assert "repo False" in printed and "source False" in printed, printed
    assert "others False" in printed, printed


def test_a_students_server_is_held_to_the_courses_limits(hub: Hub, anna: dict) -> None:
    code = (
        "import pathlib\n"
        "cg = open('/proc/self/cgroup').read()\n"
        "print('in-cgroup', 'autograder-hub/hub-anna' in cg)\n"
    )
    printed = run_code(hub, "hub-anna", anna["token"], code)
    assert "in-cgroup True" in printed, printed
    memory = Path("/sys/fs/cgroup/memory/autograder-hub/hub-anna/memory.limit_in_bytes")
    assert int(memory.read_text()) == 1024 * 1024 * 1024
    quota = Path("/sys/fs/cgroup/cpu/autograder-hub/hub-anna/cpu.cfs_quota_us")
    assert int(quota.read_text()) == 50_000


def test_nbgrader_lists_only_the_students_own_courses(hub: Hub, anna: dict) -> None:
    headers = {"Authorization": f"token {anna['token']}"}
    response = requests.get(f"{hub.base}/user/hub-anna/courses", headers=headers, timeout=60)
    assert response.ok, response.text
    assert response.json()["value"] == ["demo"]


def test_the_deadline_service_runs_with_the_hub(hub: Hub) -> None:
    deadline = time.monotonic() + 90
    while "deadlines: nothing due" not in hub.log.read_text():
        assert time.monotonic() < deadline, hub.log.read_text()[-3000:]
        time.sleep(1)


def test_the_hub_refuses_to_start_naming_what_is_missing(hub: Hub, tmp_path: Path) -> None:
    tools = tmp_path / "bin"  # the system's tools, but not the proxy
    tools.mkdir()
    for tool in ("bwrap", "setpriv", "useradd"):
        (tools / tool).symlink_to(shutil.which(tool) or tool)
    env = {**os.environ, "PATH": str(tools)}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "autograder"),
            "--root",
            str(hub.repo),
            "hub",
            "--check",
            "--port",
            str(free_port()),
            "--state",
            str(tmp_path / "state"),
            "--exchange",
            str(tmp_path / "no-exchange"),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "configurable-http-proxy is not on PATH" in done.stdout + done.stderr
    assert "no-exchange does not exist" in done.stdout + done.stderr


def test_a_restart_keeps_accounts_and_work(hub: Hub, anna: dict) -> None:
    run_code(hub, "hub-anna", anna["token"], "open('kept.txt', 'w').write('mine')")
    hub.stop()
    hub.start()
    session = hub.sign_in("hub-anna", PASSWORD)
    assert session is not None
    assert Path("/home/hub-anna/kept.txt").read_text() == "mine"
    assert hub.sign_in("hub-anna", "another password") is None


def test_the_teachers_own_settings_are_loaded_last(tmp_path: Path) -> None:
    from autograder.delivery.hub import HubPlan, HubProblem, write_config

    plan = HubPlan("127.0.0.1", 8000, tmp_path / "state", tmp_path, {"demo": ("a",)}, {}, {})
    (tmp_path / "sso.py").write_text("c.JupyterHub.authenticator_class = 'generic-oauth'\n")
    text = write_config(plan, tmp_path / "sso.py").read_text()
    assert text.rstrip().endswith(f"load_subconfig({str(tmp_path / 'sso.py')!r})  # noqa: F821")
    with pytest.raises(HubProblem, match="nowhere.py: no such file"):
        write_config(plan, tmp_path / "nowhere.py")
