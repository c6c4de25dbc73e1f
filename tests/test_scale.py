"""Scale-out: grading tasks on a Dask cluster of separate worker processes, into PostgreSQL.

The PostgreSQL server is real: `.ci/run` installs and starts one and exports
AUTOGRADER_TEST_POSTGRES (a URL of a role that may create databases). Each run
gets a fresh database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.grading import store
from tests.conftest import invoker
from tests.factory import answered, make_repo, save, source_notebook

TAMPER = (
    "import IPython.core.interactiveshell as s\n"
    "s.InteractiveShell.showtraceback = lambda *a, **k: None"
)
SERVER = os.environ.get("AUTOGRADER_TEST_POSTGRES")
if not SERVER and not os.environ.get("CI"):
    pytest.skip("set AUTOGRADER_TEST_POSTGRES to a PostgreSQL URL", allow_module_level=True)
pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    import psycopg

    assert SERVER, "CI must export AUTOGRADER_TEST_POSTGRES (see .ci/run)"
    name = f"ag_test_{uuid.uuid4().hex[:10]}"
    admin = SERVER.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = SERVER.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> dict:
    from distributed import Client, LocalCluster

    root = make_repo(tmp_path_factory.mktemp("scale") / "repo")
    folder = root.parent / "class"
    source = source_notebook()
    save(source, folder / "right.ipynb")
    save(answered(source, {"mul": "def mul(a, b):\n    return a + b"}), folder / "wrong.ipynb")
    save(
        answered(source, {"add": "def add(a, b):\n    raise ValueError('no')"}),
        folder / "err.ipynb",
    )
    # Replaces IPython's traceback display: the guard undoes it and reports tampering,
    # which must reach this student's record and no other's.
    tamper = answered(source, {"mul": TAMPER + "\ndef mul(a, b):\n    return a + b"})
    save(tamper, folder / "tamper.ipynb")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        result = invoker(root)(
            "grade",
            "demo",
            "a1",
            str(folder),
            "--scheduler",
            cluster.scheduler_address,
            "--db",
            postgres_url,
        )
        log = client.run_on_scheduler(
            lambda dask_scheduler: [str(t[0]) for t in dask_scheduler.transition_log]
        )
        worker_pids = client.run(os.getpid)
    return {
        "root": root,
        "result": result,
        "db": postgres_url,
        "log": log,
        "worker_pids": worker_pids,
    }


def test_grading_on_the_cluster_succeeds(cluster_run: dict) -> None:
    assert cluster_run["result"].exit_code == 0, cluster_run["result"].output


def test_tasks_ran_on_the_cluster_workers(cluster_run: dict) -> None:
    tasks = {key for key in cluster_run["log"] if key.startswith("grade-a1-")}
    assert len(tasks) == 4
    assert os.getpid() not in cluster_run["worker_pids"].values()


@pytest.mark.parametrize(
    ("student", "expected"), [("right", 5), ("wrong", 2), ("err", 3), ("tamper", 2)]
)
def test_scores_are_recorded_in_postgres(cluster_run: dict, student: str, expected: float) -> None:
    with Gradebook(cluster_run["db"], "demo") as gb:
        assert gb.find_submission("a1", student).score == expected
    assert store.load(cluster_run["db"], "a1")[student].score == expected


@pytest.mark.parametrize(
    ("student", "status"),
    [("right", "graded"), ("wrong", "graded"), ("err", "graded"), ("tamper", "tamper")],
)
def test_tamper_findings_stay_with_their_submission(
    cluster_run: dict, student: str, status: str
) -> None:
    """Two grading threads per worker: one job's findings never reach another's record."""
    record = store.load(cluster_run["db"], "a1")[student]
    assert record.status == status
    assert any(m.startswith("tampering:") for m in record.messages) == (status == "tamper")


def test_export_reads_from_postgres(cluster_run: dict, tmp_path: Path) -> None:
    result = invoker(cluster_run["root"])(
        "export", "demo", "--db", cluster_run["db"], "--out", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert "right,a1,5,5,0,graded" in (tmp_path / "grades.csv").read_text()
