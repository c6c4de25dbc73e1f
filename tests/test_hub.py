"""`autograder hub`: a real JupyterHub with configurable-http-proxy, started by the test.

Two courses, a roster each; students sign in over HTTP as a browser would (the first
sign-in sets the password), their servers start as their own system users in the
hub's sandbox, and nbgrader's extension lists only the courses on their roster.
Needs root, bubblewrap and configurable-http-proxy (npm), which CI installs.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import invoker
from tests.factory import course_config, make_repo, write_config
from tests.hub import PASSWORD, Hub, free_port, run_code, wait_until_gone

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
    assert wait_until_gone("hub-anna") == [], "her server outlived the hub"
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


@pytest.fixture
def running(hub: Hub, anna: dict) -> dict:
    """Anna's server, started again if a test restarted the hub (servers stop with it)."""
    session = hub.sign_in("hub-anna", PASSWORD)
    assert session is not None
    hub.start_server(session, "hub-anna")
    return anna


def test_a_lecture_opens_as_the_students_own_copy_and_stays_theirs(
    hub: Hub, running: dict
) -> None:
    anna = running
    headers = {"Authorization": f"token {anna['token']}"}
    route = f"{hub.base}/user/hub-anna/autograder/lectures/demo/01-demo"
    response = requests.get(route, headers=headers, allow_redirects=False, timeout=60)
    assert response.status_code == 302, response.text
    opened = "/user/hub-anna/lab/tree/lectures/demo/01-demo.ipynb"
    assert response.headers["Location"].endswith(opened)
    copy = Path("/home/hub-anna/lectures/demo/01-demo.ipynb")
    assert copy.stat().st_uid == pwd_uid("hub-anna")
    assert all(not c.get("outputs") for c in json.loads(copy.read_text())["cells"])
    copy.write_text(copy.read_text().replace("Demo lecture", "My notes"))
    again = requests.get(route, headers=headers, allow_redirects=False, timeout=60)
    assert again.status_code == 302
    assert "My notes" in copy.read_text()


@pytest.mark.parametrize("lecture", ["demo/none", "demo/..%2F..%2Fetc%2Fpasswd", "x"])
def test_only_the_hubs_lectures_can_be_opened(hub: Hub, running: dict, lecture: str) -> None:
    anna = running
    headers = {"Authorization": f"token {anna['token']}"}
    route = f"{hub.base}/user/hub-anna/autograder/lectures/{lecture}"
    response = requests.get(route, headers=headers, allow_redirects=False, timeout=60)
    assert response.status_code == 404


def test_validate_in_jupyterlab_gives_the_verdict_of_autograder_check(
    hub: Hub, running: dict
) -> None:
    anna = running
    release = hub.repo / "assignments/demo/release/a1"
    notebook = next(release.glob("*.ipynb"))
    home_copy = Path("/home/hub-anna") / notebook.name
    shutil.copyfile(notebook, home_copy)
    os.chown(home_copy, pwd_uid("hub-anna"), -1)
    headers = {"Authorization": f"token {anna['token']}"}
    response = requests.post(
        f"{hub.base}/user/hub-anna/assignments/validate",
        params={"path": notebook.name},
        headers=headers,
        timeout=300,
    )
    assert response.ok, response.text
    reply = response.json()
    assert reply["success"] is True, reply
    (failed,) = reply["value"]["failed"]
    assert "0 of 2 visible tests pass" in failed["source"]
    check = subprocess.run(
        [str(Path(sys.executable).parent / "autograder"), "check", str(notebook)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 1
    printed = [line.rstrip() for line in check.stdout.splitlines()[1:] if line.strip()]
    shown = [line.rstrip() for line in html.unescape(failed["error"]).splitlines() if line.strip()]
    assert shown == printed


def pwd_uid(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_uid


def test_a_teacher_opens_the_courses_formgrader_and_a_student_cannot(hub: Hub) -> None:
    teacher = hub.sign_in("hub-teach", PASSWORD)
    assert teacher is not None
    api = f"{hub.base}/services/demo/formgrader/api"
    listed = teacher.get(f"{api}/assignments", timeout=120)
    assert listed.ok, hub.log.read_text()[-3000:]
    assert [a["name"] for a in listed.json()] == ["a1"]
    student = hub.sign_in("hub-bo", PASSWORD)
    assert student is not None
    refused = student.get(f"{api}/assignments", timeout=120)
    assert refused.status_code == 403, refused.text[:300]


def test_formgraders_autograde_is_refused_for_the_sandboxed_grader(hub: Hub) -> None:
    teacher = hub.sign_in("hub-teach", PASSWORD)
    assert teacher is not None
    page = teacher.get(f"{hub.base}/services/demo/formgrader", timeout=120)
    assert page.ok
    xsrf = next(c.value for c in teacher.cookies if c.name == "_xsrf" and "services" in c.path)
    answer = teacher.post(
        f"{hub.base}/services/demo/formgrader/api/submission/a1/hub-anna/autograde",
        headers={"X-XSRFToken": xsrf or ""},
        timeout=120,
    )
    assert answer.ok, answer.text
    assert answer.json()["success"] is False
    assert "autograder grade" in answer.json()["error"]
