"""A real JupyterHub for tests: `autograder hub` started on a free port, signed in to as a
browser would, with a user's server started and code run in its kernel."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from tornado.httpclient import HTTPRequest
from tornado.ioloop import IOLoop
from tornado.websocket import websocket_connect

PASSWORD = "correct horse 1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Hub:
    """`autograder hub` in a subprocess (it execs jupyterhub: same pid), its log beside
    its state folder. Also what benchmarks/hub_load.py starts."""

    def __init__(self, repo: Path, state: Path, exchange: Path, extra: Path | None = None) -> None:
        self.repo, self.state, self.exchange, self.extra = repo, state, exchange, extra
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = state.parent / "hub.log"

    def start(self, within: float = 90) -> None:
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
            *(["--extra-config", str(self.extra)] if self.extra else []),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/hub/api", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.5)
        raise AssertionError(
            f"the hub did not answer in {within:.0f} s:\n{self.log.read_text()[-3000:]}"
        )

    def stop(self) -> None:
        """SIGTERM: JupyterHub stops every user's server, then the proxy, then itself."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=180)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

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
            raw = await ws.read_message()
            assert raw is not None, f"{user}'s kernel closed its channels"
            message = json.loads(raw)
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


def processes_of(user: str) -> list[int]:
    """Pids running as the user (their server, its kernels), from /proc."""
    import pwd

    uid = str(pwd.getpwnam(user).pw_uid)
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uids = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if uids.split()[1] == uid:
            pids.append(int(status.parent.name))
    return pids


def wait_until_gone(user: str, seconds: float = 20) -> list[int]:
    """The user's processes still running after `seconds` (empty: all stopped)."""
    deadline = time.monotonic() + seconds
    while processes_of(user) and time.monotonic() < deadline:
        time.sleep(0.5)
    return processes_of(user)
