"""`autograder hub`: the courses of this repository on a real JupyterHub.

Setting up JupyterHub with nbgrader's exchange for several courses is where most
teachers get stuck; this module does it from what the repository already says:

- who may sign in: each course's roster (`roster import`) and its `teachers:`
  (admins). The first sign-in sets the password (FirstUseAuthenticator);
- every user is a system user (made here, home folder 0700), whose server is
  started by `spawner.StudentSpawner`: sandboxed, under the `hub:` limits;
- nbgrader's multi-course setup: JupyterHub groups `nbgrader-<course>` (students)
  and `formgrade-<course>` (teachers), the exchange with `path_includes_course`, and
  nbgrader's JupyterHub auth plugin, so a student lists only their own courses;
- the hub's own state (its database, cookie secret, passwords, proxy) in one folder,
  so a restart keeps everyone's accounts and servers; with it the student copies of the
  lectures (delivery/lectures.py), which the book's "JupyterHub" button opens;
- in each server, the toolkit's extension (student/server.py): Validate gives the
  verdict of `autograder check`;
- each course's formgrader, a hub service its teachers open (delivery/formgrader.py).

`check` names every missing piece before anything starts; the hub refuses to start
without configurable-http-proxy, bubblewrap or the exchange folder.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.config import Course
from autograder.course.errors import AutograderError
from autograder.delivery import formgrader
from autograder.delivery.enrol import roster_path
from autograder.delivery.roster import load_roster

PROXY = "configurable-http-proxy"
STATE_DEFAULT = Path("/srv/autograder-hub")
# Students see the Assignments tab and Validate; formgrader and the assignment
# creator are for teachers (nbgrader's lab extension names).
FORMGRADER = "@jupyter/nbgrader:formgrader"
TEACHER_ONLY = (FORMGRADER, "@jupyter/nbgrader:create-assignment")
FORMGRADER_SETTINGS = "formgrader"  # the folder of the formgrader services' settings
# JupyterLab's "get notified about Jupyter news?" asks to reach the internet: not here.
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"
# Validate gives `autograder check`'s verdict and lectures open from the book's button
# (student/server.py), which serves the route of nbgrader's validate extension in its place.
SERVER = {
    "ServerApp": {
        "jpserver_extensions": {
            "nbgrader.server_extensions.validate_assignment": False,
            "autograder.student.server": True,
            # No language servers are installed; it would run node and npm at every start.
            "jupyter_lsp": False,
        }
    }
}


class HubProblem(AutograderError):
    """The hub cannot start as configured; the message names what is missing."""


@dataclass(frozen=True)
class HubPlan:
    ip: str
    port: int
    state: Path
    exchange: Path
    students: dict[str, tuple[str, ...]]  # course id -> user names
    teachers: dict[str, tuple[str, ...]]
    limits: dict[str, tuple[int, float]]  # user -> (memory MB, cpus)
    folders: dict[str, Path] = field(default_factory=dict)  # course id -> course folder

    @property
    def formgraders(self) -> list[str]:
        """The courses whose teachers get a formgrader (delivery/formgrader.py)."""
        return [c for c, teachers in self.teachers.items() if teachers and c in self.folders]

    @property
    def users(self) -> list[str]:
        names = {u for group in (self.students, self.teachers) for us in group.values() for u in us}
        return sorted(names)

    @property
    def lectures(self) -> Path:
        return self.state / "lectures"

    @property
    def admins(self) -> list[str]:
        return sorted({u for us in self.teachers.values() for u in us})


def plan(
    courses: list[Course],
    course_dir: dict[str, Path],
    ip: str,
    port: int,
    state: Path,
    exchange: Path,
) -> HubPlan:
    students = {
        c.id: tuple(s.username for s in load_roster(roster_path(course_dir[c.id]))) for c in courses
    }
    teachers = {c.id: tuple(c.teachers) for c in courses}
    limits: dict[str, tuple[int, float]] = {}
    for course in courses:
        for user in (*students[course.id], *teachers[course.id]):
            memory, cpus = limits.get(user, (0, 0.0))
            limits[user] = (max(memory, course.hub.memory_mb), max(cpus, course.hub.cpus))
    return HubPlan(ip, port, state, exchange, students, teachers, limits, dict(course_dir))


def _free(port: int) -> bool:
    with socket.socket() as probe:
        # As the proxy binds: a port a stopped hub left in TIME_WAIT is free to use.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check(hub: HubPlan) -> list[str]:
    """Every missing piece, each with what to do; empty when the hub can start."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the hub must run as root: it starts each user's server as that user")
    if shutil.which(PROXY) is None:
        problems.append(
            f"{PROXY} is not on PATH: install Node.js and npm (apt-get install -y nodejs npm), "
            f"then `npm install -g {PROXY}`"
        )
    for tool in ("bwrap", "setpriv", "useradd"):
        if shutil.which(tool) is None:
            problems.append(
                f"{tool} is not installed (apt-get install -y bubblewrap util-linux passwd)"
            )
    if not hub.exchange.is_dir():
        problems.append(
            f"exchange folder {hub.exchange} does not exist: create it "
            f"(mkdir -p {hub.exchange} && chmod 777 {hub.exchange}) or pass --exchange"
        )
    if not hub.users:
        problems.append(
            "no one could sign in: import a roster (`autograder roster import COURSE FILE`) "
            "or name teachers: in a course config"
        )
    if not _free(hub.port):
        problems.append(f"port {hub.port} is in use; choose another with --port")
    return problems


def ensure_users(names: list[str]) -> list[str]:
    """Make the system users that do not exist yet (home 0700); returns those made."""
    made = []
    for name in names:
        try:
            pwd.getpwnam(name)
            continue
        except KeyError:
            pass
        done = subprocess.run(
            ["useradd", "--create-home", "--shell", "/bin/bash", name],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise HubProblem(f"cannot make system user {name}: {done.stderr.strip()}")
        made.append(name)
    for name in names:
        Path(pwd.getpwnam(name).pw_dir).chmod(0o700)
    return made


def _jupyter_settings(hub: HubPlan) -> Path:
    """Per role (and for the courses' formgrader services): nbgrader's settings (the
    exchange, courses from hub groups), the server extensions, and which lab extensions
    show. Readable by all users; nothing secret in it."""
    root = hub.state / "jupyter"
    nbgrader = (
        "c = get_config()  # written by `autograder hub`\n"
        f"c.Exchange.root = {str(hub.exchange)!r}\n"
        "c.Exchange.path_includes_course = True\n"
        "c.Authenticator.plugin_class = 'nbgrader.auth.JupyterHubAuthPlugin'\n"
    )
    # A teacher's own server has no course folder: their formgrader is the course's
    # service, which Nbgrader > Course List opens (delivery/formgrader.py).
    folders = {
        "student": (SERVER, TEACHER_ONLY),
        "teacher": (SERVER, (FORMGRADER,)),
        FORMGRADER_SETTINGS: (formgrader.SERVER, ()),
    }
    for name, (server, hidden) in folders.items():
        folder = root / name
        (folder / "labconfig").mkdir(parents=True, exist_ok=True)
        (folder / "nbgrader_config.py").write_text(nbgrader)
        (folder / "jupyter_server_config.json").write_text(json.dumps(server, indent=1))
        page = {"disabledExtensions": {extension: True for extension in (*hidden, ANNOUNCEMENTS)}}
        (folder / "labconfig" / "page_config.json").write_text(json.dumps(page, indent=1))
    readable_by_all(root)
    return root


def readable_by_all(folder: Path) -> None:
    """The hub's folders every user's server reads (settings, lectures): all may read and
    traverse them, only root writes."""
    for entry in (folder, *folder.rglob("*")):
        entry.chmod(0o755 if entry.is_dir() else 0o644)


def write_config(hub: HubPlan, extra: Path | None = None, service: list[str] | None = None) -> Path:
    """The hub's jupyterhub_config.py, in its state folder (0600: it names the users).
    `extra`, the teacher's own settings (e.g. single sign-on), is loaded last; `service`
    is the deadline service's command (delivery/deadlines.py), run by the hub."""
    hub.state.mkdir(parents=True, exist_ok=True)
    hub.state.chmod(0o711)  # users traverse to their Jupyter settings, never list it
    settings = _jupyter_settings(hub)
    groups = {f"nbgrader-{c}": {"users": list(u)} for c, u in hub.students.items()}
    groups |= {f"formgrade-{c}": {"users": list(u)} for c, u in hub.teachers.items()}
    roles = {u: "teacher" if u in hub.admins else "student" for u in hub.users}
    services = [{"name": "deadlines", "command": service}] if service else []
    hub_roles: list[dict] = [{"name": "server", "scopes": ["inherit"]}]
    for course in hub.formgraders:
        folder, service_settings = hub.folders[course], settings / FORMGRADER_SETTINGS
        services.append(
            formgrader.service(course, folder, hub.exchange, service_settings, _spare_port())
        )
        hub_roles += formgrader.roles(course)
        groups[f"formgrade-{course}"]["users"].append(formgrader.grader(course))
    data = {
        "ip": hub.ip,
        "port": hub.port,
        "state": str(hub.state),
        "users": hub.users,
        "admins": hub.admins,
        "groups": groups,
        "roles": roles,
        "limits": {u: list(v) for u, v in hub.limits.items()},
        "exchange": str(hub.exchange),
        "settings": str(settings),
        "lectures": str(hub.lectures),
        "hub_port": _spare_port(),
        "proxy_api_port": _spare_port(),
        "services": services,
        "roles_defined": hub_roles,
        "spawn_limit": 2 * (os.cpu_count() or 1),
    }
    path = hub.state / "jupyterhub_config.py"
    text = CONFIG_TEMPLATE.format(data=json.dumps(data, indent=1, sort_keys=True))
    if extra is not None:
        if not extra.is_file():
            raise HubProblem(f"{extra}: no such file (--extra-config)")
        text += f"load_subconfig({str(extra.resolve())!r})  # noqa: F821\n"
    path.write_text(text)
    path.chmod(0o600)
    return path


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


CONFIG_TEMPLATE = '''"""Written by `autograder hub` from the course configs and rosters."""
import json

c = get_config()  # noqa: F821
d = json.loads(r"""{data}""")
state = d["state"]
c.JupyterHub.bind_url = "http://%s:%d" % (d["ip"], d["port"])
c.JupyterHub.hub_bind_url = "http://127.0.0.1:%d" % d["hub_port"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d" % d["proxy_api_port"]
c.ConfigurableHTTPProxy.pid_file = state + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + state + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = state + "/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = state + "/jupyterhub.pid"
# Users' servers stop with the hub (bubblewrap's --die-with-parent); their files stay
# in their homes and the exchange, and the accounts in the hub's database.
c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
c.FirstUseAuthenticator.dbm_path = state + "/passwords.dbm"
c.FirstUseAuthenticator.create_users = False
c.FirstUseAuthenticator.min_password_length = 8
c.Authenticator.allowed_users = set(d["users"])
c.Authenticator.admin_users = set(d["admins"])
c.JupyterHub.load_groups = d["groups"]
# A server's token may read its own user's groups: nbgrader's JupyterHub auth plugin
# lists a student's courses from them.
# Each course's formgrader service may be opened by its teachers (formgrade-<course>).
c.JupyterHub.load_roles = d["roles_defined"]
c.JupyterHub.spawner_class = "autograder.delivery.spawner.StudentSpawner"
c.Spawner.default_url = "/lab"
# A server takes some 4 CPU-seconds to start. When a whole class signs in at once, more
# than a few starts at a time share the cores until every one of them times out
# (benchmarks/hub_load.py: 0 of 40 started on 2 cores); the rest wait their turn.
c.JupyterHub.concurrent_spawn_limit = d["spawn_limit"]
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.StudentSpawner.exchange = d["exchange"]
c.StudentSpawner.jupyter_config = d["settings"]
c.StudentSpawner.lectures = d["lectures"]
c.StudentSpawner.limits = d["limits"]
c.StudentSpawner.roles = d["roles"]
# The deadline service (collects, grades and returns each assignment once its window
# closes) and each course's formgrader (delivery/formgrader.py).
c.JupyterHub.services = d["services"]
'''


def command(config: Path) -> list[str]:
    return [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)]
