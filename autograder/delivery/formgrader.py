"""Each course's formgrader on the hub, for its teachers.

nbgrader's formgrader must run where the course folder is (its gradebook, submissions,
feedback). As nbgrader documents for several courses on one JupyterHub, each course gets
a shared JupyterLab run by the hub as a service, `/services/<course>/`, which only the
course's teachers (group `formgrade-<course>`, and the hub's admins) may open; their own
JupyterLab lists it under Nbgrader > Course List / Formgrader.

It runs in the same sandbox as a user's server (spawner.py), seeing the system read-only,
its course folder and the exchange read-write, and nothing else of the checkout. It keeps
root's rights inside it: `collect` reads the students' files in the exchange, and the
gradebook and course folder belong to the teacher who runs the `autograder` commands.

Formgrader's Autograde button is refused (this module is also the server extension that
says so): stock nbgrader would run the students' code unsandboxed, as this service, next
to the gradebook. Teachers grade with `autograder grade` (or the deadline service);
formgrader stays for manual grading, review, feedback, release and collect.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from autograder.delivery.spawner import sandbox_command, server_mounts

AUTOGRADE_ROUTE = "formgrader/api/submission/([^/]+)/([^/]+)/autograde"
REFUSAL = (
    "Autograde is off in formgrader on this hub: stock nbgrader would run the students' "
    "code outside the sandbox. Grade with `autograder grade COURSE ASSIGNMENT SUBMISSIONS` "
    "(or let the deadline service do it); the scores then show here."
)
SERVER = {
    "ServerApp": {
        "jpserver_extensions": {
            "autograder.delivery.formgrader": True,  # loads before nbgrader's: its route wins
            "jupyter_lsp": False,
        }
    }
}


def service(course: str, folder: Path, exchange: Path, settings: Path, port: int) -> dict:
    """The JupyterHub service that runs `course`'s formgrader (JupyterHub.services)."""
    mounts = server_mounts([str(folder), str(exchange)], [str(settings)])
    python = Path(sys.executable).parent
    return {
        "name": course,
        "url": f"http://127.0.0.1:{port}",
        "command": [
            *sandbox_command(mounts, str(folder)),
            str(python / "jupyterhub-singleuser"),
            "--allow-root",
        ],
        "cwd": str(folder),
        "environment": {
            # nbgrader's JupyterHub plugin lists the courses of "the user" it runs as.
            "JUPYTERHUB_USER": grader(course),
            "JUPYTER_CONFIG_PATH": str(settings),
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "HOME": "/tmp",  # the sandbox's private /tmp: root's home is not there
            "PATH": f"{python}:/usr/bin:/bin",
            "OMP_NUM_THREADS": "1",
        },
        "oauth_no_confirm": True,
    }


def grader(course: str) -> str:
    """The hub user (never a login) a course's formgrader acts as, in formgrade-<course>."""
    return f"grader-{course}"


def roles(course: str) -> list[dict]:
    """nbgrader's documented roles: the course's graders may open the service, and the
    service may read users' groups (to list courses and students)."""
    return [
        {
            "name": f"formgrade-{course}",
            "groups": [f"formgrade-{course}"],
            "scopes": [
                f"access:services!service={course}",
                "list:services",
                f"read:services!service={course}",
            ],
        },
        {
            "name": f"formgrader-service-{course}",
            "services": [course],
            "scopes": ["list:users", "read:users", "read:users:groups", "read:groups"],
        },
    ]


class AutogradeRefused(JupyterHandler):  # type: ignore[misc]
    @web.authenticated
    def post(self, assignment: str, student: str) -> None:
        self.log.warning("formgrader autograde of %s/%s refused", assignment, student)
        self.finish(json.dumps({"success": False, "error": REFUSAL, "log": REFUSAL}))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "autograder.delivery.formgrader"}]


def _load_jupyter_server_extension(server: Any) -> None:
    base = server.web_app.settings["base_url"]
    server.web_app.add_handlers(".*$", [(url_path_join(base, AUTOGRADE_ROUTE), AutogradeRefused)])
