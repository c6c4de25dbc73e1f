"""deploy/: the Kubernetes files parse, and say what the docs and the one-machine hub say.

No cluster runs here, so these tests check what can be checked locally: every YAML
loads; the exchange is mounted where nbgrader's config looks for it; the limits parse
and equal the course configs' defaults; the hub's extraConfig, run as z2jh runs it,
gives the same users, admins, groups and limits as `autograder.delivery.hub.plan` on
the same files, and a spawner the traits it expects; the teacher pod's /etc/passwd
lines name the uids the hub gives; the image copies no course material; the
single-user entrypoint gives an unknown uid a name.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from jupyterhub.app import JupyterHub
from jupyterhub.spawner import Spawner
from traitlets import Integer
from traitlets.config import Config

from autograder.course.config import Course, HubSettings
from autograder.delivery import hub
from autograder.delivery.exchange import DEFAULT_ROOT
from autograder.delivery.roster import Roster, Student, write_roster
from autograder.student.server import LECTURES_ENV

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
sys.path.insert(0, str(K8S))
import course_users  # noqa: E402  (deploy/kubernetes is not a package: the hub runs it as a file)


def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / "values.yaml").read_text())
    return loaded


def documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d is not None]


def test_every_yaml_in_deploy_parses() -> None:
    found = sorted(DEPLOY.rglob("*.y*ml"))
    assert {p.name for p in found} >= {"values.yaml", "storage.yaml", "grading.yaml"}
    for path in found:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert docs, f"{path}: no YAML document"
        for doc in docs:
            assert isinstance(doc, dict), f"{path}: a document is not a mapping"


def nbgrader_snippets(v: dict[str, Any]) -> dict[str, str]:
    files = v["singleuser"]["extraFiles"]
    return {k: f["stringData"] for k, f in files.items() if f["mountPath"].endswith(".py")}


def test_exchange_is_mounted_where_nbgrader_and_the_teacher_look() -> None:
    v = values()
    mounts = v["singleuser"]["storage"]["extraVolumeMounts"]
    volumes = {vol["name"]: vol for vol in v["singleuser"]["storage"]["extraVolumes"]}
    (exchange,) = [m for m in mounts if m["name"] == "nbgrader-exchange"]
    claim = volumes["nbgrader-exchange"]["persistentVolumeClaim"]["claimName"]
    assert exchange["mountPath"] == str(DEFAULT_ROOT)
    snippets = nbgrader_snippets(v)
    assert set(snippets) == {"student-nbgrader-config", "teacher-nbgrader-config"}
    for key, text in snippets.items():
        config = Config()
        exec(compile(text, key, "exec"), {"get_config": lambda config=config: config})
        assert config.Exchange.root == exchange["mountPath"], key
        assert config.Exchange.path_includes_course is True, key
        assert config.Authenticator.plugin_class == "nbgrader.auth.JupyterHubAuthPlugin", key
    # The claim exists, and offers ReadWriteMany (every user's pod mounts it at once).
    claims = {d["metadata"]["name"]: d for d in documents("storage.yaml")}
    assert claims[claim]["spec"]["accessModes"] == ["ReadWriteMany"]
    # The teacher pod and the deadline service see it at the same path.
    (teacher,) = [
        d for d in documents("grading.yaml") if d["metadata"]["name"] == "autograder-teacher"
    ]
    for container in teacher["spec"]["template"]["spec"]["containers"]:
        paths = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert paths["nbgrader-exchange"] == exchange["mountPath"], container["name"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["AUTOGRADER_EXCHANGE"] == exchange["mountPath"], container["name"]


def test_students_do_not_see_the_teachers_extensions() -> None:
    files = values()["singleuser"]["extraFiles"]
    student = files["student-page-config"]["data"]["disabledExtensions"]
    teacher = files["teacher-page-config"]["data"]["disabledExtensions"]
    assert set(student) == {*hub.TEACHER_ONLY, hub.ANNOUNCEMENTS} and all(student.values())
    assert teacher == {hub.ANNOUNCEMENTS: True}
    settings = values()["custom"]["jupyterSettings"]
    for role in ("student", "teacher"):
        paths = [f["mountPath"] for k, f in files.items() if k.startswith(role)]
        assert sorted(paths) == [
            f"{settings}/{role}/jupyter_server_config.json",
            f"{settings}/{role}/labconfig/page_config.json",
            f"{settings}/{role}/nbgrader_config.py",
        ]
        # The same server extensions as on one machine: Validate gives the self-check's
        # verdict, lectures open from the book.
        assert files[f"{role}-server-config"]["data"] == hub.SERVER, role


def test_lectures_reach_users_read_only_from_the_teacher_pod() -> None:
    single = values()["singleuser"]
    volumes = {vol["name"]: vol for vol in single["storage"]["extraVolumes"]}
    (mount,) = [
        m for m in single["storage"]["extraVolumeMounts"] if m["name"] == "autograder-lectures"
    ]
    claim = volumes["autograder-lectures"]["persistentVolumeClaim"]
    assert mount["readOnly"] is True and claim["readOnly"] is True
    copies = single["extraEnv"][LECTURES_ENV]
    assert Path(copies).parent == Path(mount["mountPath"])
    claims = {d["metadata"]["name"]: d for d in documents("storage.yaml")}
    assert claims[claim["claimName"]]["spec"]["accessModes"] == ["ReadWriteMany"]
    # Only the teacher container writes them, where the users' pods read them.
    (teacher,) = [
        d for d in documents("grading.yaml") if d["metadata"]["name"] == "autograder-teacher"
    ]
    containers = {c["name"]: c for c in teacher["spec"]["template"]["spec"]["containers"]}
    writers = {
        name: m["mountPath"]
        for name, c in containers.items()
        for m in c["volumeMounts"]
        if m["name"] == "autograder-lectures"
    }
    assert writers == {"teacher": mount["mountPath"]}
    assert f'copies = Path("{copies}")' in containers["teacher"]["command"][4]
    # No student's pod mounts the checkout.
    assert "autograder-course" not in str(single)


def test_limits_parse_and_equal_the_course_config_defaults() -> None:
    single = values()["singleuser"]
    spawner = Spawner(user=SimpleNamespace(name="x", url="/user/x/"))
    spawner.mem_limit = single["memory"]["limit"]  # KubeSpawner's own parser (bytes)
    spawner.mem_guarantee = single["memory"]["guarantee"]
    defaults = HubSettings()
    assert spawner.mem_limit == defaults.memory_mb * 2**20
    assert spawner.mem_guarantee <= spawner.mem_limit
    assert single["cpu"]["limit"] == defaults.cpus
    assert 0 < single["cpu"]["guarantee"] <= single["cpu"]["limit"]
    assert (
        defaults.memory_mb,
        defaults.cpus,
    ) == (course_users.DEFAULT_MEMORY_MB, course_users.DEFAULT_CPUS)


def test_hub_database_is_postgres_with_the_password_from_a_secret() -> None:
    h = values()["hub"]
    assert h["db"]["type"] == "postgres"
    assert h["db"]["url"].startswith("postgresql://")
    assert "@" in h["db"]["url"] and ":" not in h["db"]["url"].split("//")[1].split("@")[0]
    assert "password" not in h["db"]
    assert h["extraEnv"]["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "autograder-hub-db"


def test_hub_config_names_only_traits_that_exist() -> None:
    """A misspelt trait in hub.config is silently ignored by the hub: check each name
    against the classes installed here (KubeSpawner's against its base, Spawner)."""
    from firstuseauthenticator import FirstUseAuthenticator

    classes = {
        "JupyterHub": JupyterHub,
        "FirstUseAuthenticator": FirstUseAuthenticator,
        "KubeSpawner": Spawner,
    }
    config = values()["hub"]["config"]
    assert set(config) == set(classes)
    for name, settings in config.items():
        known = classes[name].class_trait_names(config=True)
        unknown = sorted(set(settings) - set(known))
        assert not unknown, f"hub.config.{name}: no such trait {unknown}"
    dbm = Path(config["FirstUseAuthenticator"]["dbm_path"])
    mounts = {m["mountPath"] for m in values()["hub"]["extraVolumeMounts"]}
    assert str(dbm.parent) in mounts, "the password store must be on a volume"


# ml1, read first, has the larger limits: bo.as (in both) must keep them.
COURSES = {"ml1": ("t.one", {"memory_mb": 4096, "cpus": 2}), "rl1": ("t.two", None)}
ROSTERS = {"ml1": ["anna.ek", "bo.as"], "rl1": ["bo.as", "cecilia"]}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two course configs (one with a teacher and larger limits) and their rosters,
    written as `roster import` writes them; deploy/kubernetes as in the checkout."""
    (tmp_path / "course_configs").mkdir()
    for course, (teacher, limits) in COURSES.items():
        config = yaml.safe_load((ROOT / "course_configs" / f"{course}.yml").read_text())
        config["teachers"] = [teacher]
        if limits:
            config["hub"] = limits
        (tmp_path / "course_configs" / f"{course}.yml").write_text(yaml.safe_dump(config))
        roster = Roster(tuple(Student(u, u.title()) for u in ROSTERS[course]), ())
        write_roster(roster, tmp_path / "assignments" / course / "roster.csv")
    shutil.copytree(K8S, tmp_path / "deploy" / "kubernetes")
    return tmp_path


class FakeKubeSpawner(Spawner):  # type: ignore[misc]
    """jupyterhub's Spawner (mem_limit, cpu_limit, environment parse as in KubeSpawner)
    with KubeSpawner's uid and gid."""

    uid = Integer(None, allow_none=True)
    gid = Integer(None, allow_none=True)

    async def start(self) -> Any:
        raise AssertionError("the hook only configures; nothing starts here")

    async def stop(self, now: bool = False) -> None:
        raise AssertionError("nothing to stop")

    async def poll(self) -> int | None:
        raise AssertionError("nothing to poll")


def run_extra_config(repo: Path) -> Config:
    """hub.extraConfig as z2jh's jupyterhub_config.py runs it: exec'd with `c` and
    `get_config` (reading the values) in scope."""
    v = values()
    v["custom"]["courseRepo"] = str(repo)

    def get_config(key: str, default: Any = None) -> Any:
        node: Any = v
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    config = Config()
    saved = list(sys.path)
    sys.modules.pop("course_users")  # the snippet imports the copy in repo, as the hub would
    try:
        for name, source in sorted(v["hub"]["extraConfig"].items()):
            exec(compile(source, name, "exec"), {"c": config, "get_config": get_config})
        assert sys.modules["course_users"].__file__ == str(
            repo / K8S.relative_to(ROOT) / "course_users.py"
        )
    finally:
        sys.path[:] = saved
        sys.modules["course_users"] = course_users
    return config


def test_hub_extra_config_gives_what_the_one_machine_hub_gives(repo: Path) -> None:
    config = run_extra_config(repo)
    courses = [
        Course.model_validate(yaml.safe_load(p.read_text()))
        for p in sorted((repo / "course_configs").glob("*.yml"))
    ]
    folders = {c.id: repo / "assignments" / c.id for c in courses}
    plan = hub.plan(courses, folders, "127.0.0.1", 8000, repo / "state", repo / "exchange")
    assert config.Authenticator.allowed_users == set(plan.users)
    assert config.Authenticator.admin_users == set(plan.admins) == {"t.one", "t.two"}
    groups = {f"nbgrader-{c}": {"users": list(u)} for c, u in plan.students.items()}
    groups |= {f"formgrade-{c}": {"users": list(u)} for c, u in plan.teachers.items()}
    assert config.JupyterHub.load_groups == groups

    hook = config.KubeSpawner.pre_spawn_hook
    seen = {}
    for name in plan.users:
        spawner = FakeKubeSpawner(user=SimpleNamespace(name=name, url=f"/user/{name}/"))
        spawner.environment = {"OMP_NUM_THREADS": "1"}
        hook(spawner)
        memory_mb, cpus = plan.limits[name]
        assert spawner.mem_limit == spawner.mem_guarantee == memory_mb * 2**20, name
        assert spawner.cpu_limit == cpus, name
        assert spawner.uid == course_users.uid_of(name) >= course_users.UID_BASE
        assert spawner.gid == course_users.GID == values()["singleuser"]["fsGid"]
        role = "teacher" if name in plan.admins else "student"
        settings = values()["custom"]["jupyterSettings"]
        assert spawner.environment == {
            "OMP_NUM_THREADS": "1",
            "JUPYTER_CONFIG_PATH": f"{settings}/{role}",
        }
        seen[name] = spawner.uid
    # bo.as is in both courses: ml1's larger limits, one uid; everyone's uid differs.
    assert plan.limits["bo.as"] == (4096, 2.0)
    assert len(set(seen.values())) == len(seen)


def test_teacher_pod_passwd_names_the_uids_the_hub_gives(repo: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(repo / "deploy/kubernetes/course_users.py"), str(repo)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split(":") for line in done.stdout.splitlines()]
    names = sorted({u for us in ROSTERS.values() for u in us} | {"t.one", "t.two"})
    assert sorted(r[0] for r in rows) == names
    for name, _, uid, gid, _, home, shell in rows:
        assert int(uid) == course_users.uid_of(name)
        assert (gid, home, shell) == ("100", "/nonexistent", "/usr/sbin/nologin")
    # The teacher pod appends exactly this command's output to /etc/passwd.
    (teacher,) = [
        d for d in documents("grading.yaml") if d["metadata"]["name"] == "autograder-teacher"
    ]
    script = teacher["spec"]["template"]["spec"]["containers"][0]["command"][4]
    assert "users=/srv/course/deploy/kubernetes/course_users.py" in script
    assert 'python3 "$users" /srv/course >>/etc/passwd' in script
    assert values()["custom"]["courseRepo"] == "/srv/course"


def test_two_users_sharing_a_uid_are_refused(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course_users, "uid_of", lambda name: 123456)
    users = course_users.load(repo)
    with pytest.raises(course_users.UsersProblem, match=r"anna\.ek and bo\.as would share uid"):
        users.uids()


def test_a_roster_without_usernames_is_named(repo: Path) -> None:
    bad = repo / "assignments" / "ml1" / "roster.csv"
    bad.write_text("Username;Name\nanna;Anna\n")
    with pytest.raises(course_users.UsersProblem, match=re.escape(str(bad))):
        course_users.load(repo)


def test_uids_are_stable_and_in_range() -> None:
    assert course_users.uid_of("anna.ek") == course_users.uid_of("anna.ek")
    uids = {course_users.uid_of(f"s{i:04d}") for i in range(5000)}
    assert len(uids) == 5000
    limit = course_users.UID_BASE + course_users.UID_SPAN
    assert all(course_users.UID_BASE <= u < limit < 2**31 for u in uids)


def stages() -> dict[str, str]:
    """The Dockerfile's build stages by name (FROM ... AS name), each with its text."""
    text = (K8S / "Dockerfile").read_text()
    parts = re.split(r"^FROM ", text, flags=re.M)[1:]
    return {part.split("\n", 1)[0].split(" AS ")[1].strip(): part for part in parts}


def test_images_copy_no_course_material() -> None:
    found = stages()
    assert set(found) == {"singleuser", "teacher"}
    for name, text in found.items():
        copies = [line.split()[1:-1] for line in text.splitlines() if line.startswith("COPY ")]
        sources = [s for sources in copies for s in sources]
        assert sources, f"Dockerfile stage {name} copies nothing"
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile: COPY {source}: not in the checkout"
            top = Path(source).parts[0]
            assert top not in {"assignments", "course_configs", "book", "tests"}, source


def test_students_image_is_the_student_part_and_the_graders_the_teacher_part() -> None:
    found = stages()
    student, teacher = found["singleuser"], found["teacher"]
    assert "[teacher]" not in student and "bubblewrap" not in student
    assert "@jupyter/nbgrader" in student  # the build fails without nbgrader's lab extensions
    assert teacher.startswith("singleuser AS teacher")
    assert '"/opt/autograder-src[teacher]"' in teacher and "bubblewrap" in teacher
    single = values()["singleuser"]
    assert single["image"]["name"].endswith("/singleuser")
    # The image's ENTRYPOINT wraps the chart's cmd (KubeSpawner passes it as args).
    assert single["cmd"] == "jupyterhub-singleuser"
    assert 'ENTRYPOINT ["tini", "--", "start-singleuser.sh"]' in student
    # Dask's client (teacher pod), scheduler and workers: one image, the teacher's.
    images = {
        c["image"]
        for d in documents("grading.yaml")
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert len(images) == 1 and images.pop().rsplit(":", 1)[0].endswith("/teacher")


def nss_wrapper() -> bool:
    folders = ("/usr/lib", "/usr/lib64", "/lib")
    return any(Path(f).rglob("libnss_wrapper.so") for f in folders if Path(f).is_dir())


@pytest.mark.skipif(
    os.geteuid() != 0
    or shutil.which("setpriv") is None
    or not Path("/usr/bin/python3").is_file()
    or not nss_wrapper(),
    reason="needs root, setpriv, /usr/bin/python3 and libnss-wrapper (apt-get install it)",
)
def test_entrypoint_names_a_uid_unknown_to_the_image() -> None:
    """As a student's pod runs: a uid /etc/passwd does not know, JUPYTERHUB_USER set.
    Without the entrypoint, nbgrader's get_username (pwd.getpwuid) fails."""
    # Not pytest's tmp_path: its parent folder is root's alone, the uid could not enter.
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        entrypoint_cases(Path(folder))


def entrypoint_cases(tmp_path: Path) -> None:
    probe = tmp_path / "who.py"
    probe.write_text("import os, pwd\nprint(pwd.getpwuid(os.getuid()).pw_name)\n")
    tmp_path.chmod(0o755)
    probe.chmod(0o644)
    script = tmp_path / "start.sh"
    shutil.copy(K8S / "start-singleuser.sh", script)
    script.chmod(0o755)
    uid = str(course_users.uid_of("anna.ek"))
    become = ["setpriv", f"--reuid={uid}", "--regid=100", "--clear-groups", "env", "-i"]
    env = ["PATH=/usr/bin:/bin", f"HOME={tmp_path}", "JUPYTERHUB_USER=anna.ek"]
    python = "/usr/bin/python3"
    named = subprocess.run(
        [*become, *env, str(script), python, str(probe)], capture_output=True, text=True
    )
    assert (named.returncode, named.stdout.strip()) == (0, "anna.ek"), named.stderr
    bare = subprocess.run([*become, *env, python, str(probe)], capture_output=True, text=True)
    assert bare.returncode != 0 and "uid not found" in bare.stderr
    unnamed = subprocess.run(
        [*become, *env[:2], str(script), "true"], capture_output=True, text=True
    )
    assert unnamed.returncode != 0 and "JUPYTERHUB_USER is not set" in unnamed.stderr


@pytest.mark.sandbox
def test_teacher_pod_start_names_users_opens_the_exchange_and_writes_lectures(
    repo: Path, tmp_path: Path
) -> None:
    """The teacher container's start script, run as in the pod: the checkout at
    /srv/course, the exchange and the lectures' volume mounted, its own /etc/passwd
    (bubblewrap gives it these paths; the rest of this machine is seen as it is)."""
    (repo / "book").symlink_to(ROOT / "book")  # the lectures' sources
    for course in COURSES:  # the course configs name them; loading them checks they exist
        (repo / "assignments" / course / "source").symlink_to(
            ROOT / "assignments" / course / "source"
        )
    passwd = tmp_path / "passwd"
    shutil.copy("/etc/passwd", passwd)
    exchange, lectures = tmp_path / "exchange", tmp_path / "lectures"
    exchange.mkdir()
    lectures.mkdir()
    (teacher,) = [
        d for d in documents("grading.yaml") if d["metadata"]["name"] == "autograder-teacher"
    ]
    container = teacher["spec"]["template"]["spec"]["containers"][0]
    command = container["command"][2:]  # without tini
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    binds = {"course-repo": repo, "nbgrader-exchange": exchange, "autograder-lectures": lectures}
    sandbox = ["bwrap", "--dev-bind", "/", "/", "--tmpfs", "/srv"]
    for name, source in binds.items():
        sandbox += ["--bind", str(source), mounts[name]]
    sandbox += ["--bind", str(passwd), "/etc/passwd", "--"]
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    after = ["sh", "-c", "getent passwd anna.ek t.one; ls /srv/autograder-lectures/copies"]
    done = subprocess.run(
        [*sandbox, *command, *after], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    configs = [yaml.safe_load((repo / "course_configs" / f"{c}.yml").read_text()) for c in COURSES]
    expected = {Path(path).with_suffix(".ipynb") for c in configs for path in c["lectures"]}
    lines = done.stdout.splitlines()
    assert (
        lines[0]
        == f"{len(expected)} lectures in {values()['singleuser']['extraEnv'][LECTURES_ENV]}"
    )
    assert lines[1].split(":")[:3] == ["anna.ek", "x", str(course_users.uid_of("anna.ek"))]
    assert lines[2].split(":")[:3] == ["t.one", "x", str(course_users.uid_of("t.one"))]
    assert lines[3:] == ["ml1", "rl1"]  # the command after the start script ran
    assert oct(exchange.stat().st_mode & 0o777) == "0o777"
    written = {p.relative_to(lectures / "copies") for p in lectures.rglob("*.ipynb")}
    assert written == expected
