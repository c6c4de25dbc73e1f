"""Who may use the Kubernetes hub, read from the course repository: one file, two readers.

On one machine `autograder hub` reads the course configs and rosters itself. On
Kubernetes two pods need the same answer and neither may depend on the other:

- the hub pod (image quay.io/jupyterhub/k8s-hub, without this toolkit) runs this file
  from `hub.extraConfig` (values.yaml) to set who may sign in, the admins, nbgrader's
  groups, each user's memory/CPU and each user's uid;
- the teacher pod (grading.yaml) runs `python course_users.py REPO` to print
  /etc/passwd lines, so that `autograder collect` can tell which student made each
  submission folder in the exchange (it refuses a folder not owned by the student it
  names, exchange.py).

Both must give a user the same uid, and no other rule is shared, so the uid is a
function of the user name alone: no table to keep in step, and a user keeps their uid
when others join or leave. Two names with the same uid are refused, naming both.

Only the standard library and PyYAML (both in the k8s-hub image): the hub pod cannot
import the toolkit.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# Values of autograder.course.config.HubSettings when a course has no `hub:` block
# (tests/test_deploy.py checks that they still agree).
DEFAULT_MEMORY_MB = 2048
DEFAULT_CPUS = 1.0
# Above the uids of system accounts and of the image's own user (jovyan, 1000), below
# 2**31 (Kubernetes' runAsUser is an int64, but many tools still assume a signed 32-bit uid).
UID_BASE = 100_000
UID_SPAN = 1_000_000_000
# Primary group of every student's process: the group `users` (100), which the
# chart's singleuser.fsGid also gives to the home volume.
GID = 100


class UsersProblem(Exception):
    """The course repository cannot give a consistent set of users; the message says why."""


def uid_of(name: str) -> int:
    """A stable uid for a user name (the same in the hub and the teacher pod)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return UID_BASE + int.from_bytes(digest[:8], "big") % UID_SPAN


@dataclass
class Users:
    """What `autograder.delivery.hub.plan` derives from the same files, for the hub pod."""

    students: dict[str, list[str]] = field(default_factory=dict)  # course id -> user names
    teachers: dict[str, list[str]] = field(default_factory=dict)
    limits: dict[str, tuple[int, float]] = field(default_factory=dict)  # user -> (MB, cpus)

    @property
    def names(self) -> list[str]:
        every = {u for group in (self.students, self.teachers) for us in group.values() for u in us}
        return sorted(every)

    @property
    def admins(self) -> list[str]:
        return sorted({u for us in self.teachers.values() for u in us})

    @property
    def groups(self) -> dict[str, dict[str, list[str]]]:
        """nbgrader's JupyterHub groups: nbgrader-<course> for students (its Assignments
        tab lists a student's courses from them), formgrade-<course> for teachers."""
        found = {f"nbgrader-{c}": {"users": us} for c, us in self.students.items()}
        found |= {f"formgrade-{c}": {"users": us} for c, us in self.teachers.items()}
        return found

    def uids(self) -> dict[str, int]:
        """Each user's uid; refuses two users that would share one."""
        seen: dict[int, str] = {}
        for name in self.names:
            uid = uid_of(name)
            if uid in seen:
                raise UsersProblem(
                    f"users {seen[uid]} and {name} would share uid {uid}: rename one on its roster"
                )
            seen[uid] = name
        return {name: uid for uid, name in seen.items()}

    def passwd(self) -> str:
        """/etc/passwd lines naming each user's uid (no login, no home on this pod)."""
        return "".join(
            f"{name}:x:{uid}:{GID}::/nonexistent:/usr/sbin/nologin\n"
            for name, uid in sorted(self.uids().items())
        )


def _roster(path: Path) -> list[str]:
    """User names of the roster `autograder roster import` wrote; none yet means none."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "username" not in reader.fieldnames:
            raise UsersProblem(
                f"{path}: no username column; write it with `autograder roster import`"
            )
        return [row["username"] for row in reader if row["username"]]


def load(repo: Path) -> Users:
    """Users of every course in repo/course_configs/*.yml and their rosters."""
    configs = sorted((repo / "course_configs").glob("*.yml"))
    if not configs:
        raise UsersProblem(f"{repo / 'course_configs'}: no course configs (*.yml)")
    users = Users()
    for path in configs:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if "id" not in config:
            raise UsersProblem(f"{path}: no course id")
        course = str(config["id"])
        hub = config.get("hub") or {}
        memory = int(hub.get("memory_mb", DEFAULT_MEMORY_MB))
        cpus = float(hub.get("cpus", DEFAULT_CPUS))
        users.students[course] = _roster(repo / "assignments" / course / "roster.csv")
        users.teachers[course] = [str(t) for t in config.get("teachers") or []]
        # A user in several courses gets the largest of their courses' settings.
        for name in (*users.students[course], *users.teachers[course]):
            had_memory, had_cpus = users.limits.get(name, (0, 0.0))
            users.limits[name] = (max(had_memory, memory), max(had_cpus, cpus))
    return users


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python course_users.py REPO  (prints /etc/passwd lines)", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(load(Path(argv[1])).passwd())
    except UsersProblem as problem:
        print(f"course_users: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
