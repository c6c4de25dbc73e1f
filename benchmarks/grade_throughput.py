"""Throughput of `autograder grade` against stock `nbgrader autograde`, measured in one run.

    .venv/bin/python benchmarks/grade_throughput.py [--n 40] [--rounds 3]
        [--assignment mr/a1-camera] [--workers N] [--cell-timeout 10] [--against REV]

Generates N submissions of a real assignment (correct, partly wrong, erroring,
timing out, hostile), grades them with stock nbgrader (one `nbgrader autograde`
over all students, its normal use) and with `autograder grade` (sandboxed,
`--workers` = cores), checks that both give the same scores to the honest
submissions, and prints submissions per minute for each, the ratio, and the peak
memory of each grading worker and kernel. It also prints the floor no grader can beat:
the CPU the notebooks' own cells need (each submission run once in a plain kernel,
with the teacher's test cells, hidden tests included, as grading runs them), divided
by the cores, and how far each grader is from it. Each grader is timed with nothing else
running; memory is sampled in a second, untimed run of ours (the sampler costs CPU).
With `--against REV` (a commit, e.g. the one before a refactoring), the grader as it
was at REV grades the same submissions in every round too, from a git worktree of it,
and the run prints this checkout's time against REV's: a change's cost, measured in
the same run as its baseline. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "COLUMNS": "200",
    "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
}
FORK_SERVER_MARK = "The fork server that runs inside a worker's sandbox"
POOL_MARK = "from multiprocessing.forkserver import main"
KINDS = ["correct"] * 16 + ["partial"] * 8 + ["erroring"] * 6 + ["timeout"] * 4 + ["hostile"] * 6


def answer_cells(notebook: nbformat.NotebookNode) -> list[int]:
    return [
        i
        for i, c in enumerate(notebook.cells)
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    ]


def make_submission(kind: str, source, release) -> nbformat.NotebookNode:
    """From the teacher's solution and the release: what each kind of student hands in."""
    nb = copy.deepcopy(source)
    answers = answer_cells(nb)
    if kind == "partial":  # only the first answer written; the rest left as released
        for i in answers[1:]:
            nb.cells[i] = copy.deepcopy(release.cells[i])
    elif kind == "erroring":
        nb.cells[answers[0]].source += "\nraise ValueError('a bug in my code')"
    elif kind == "timeout":
        nb.cells[answers[0]].source += "\nwhile True:\n    pass"
    elif kind == "hostile":  # wrong answers, then an attempt to make every failure vanish
        for i in answers:
            nb.cells[i] = copy.deepcopy(release.cells[i])
        nb.cells.insert(
            answers[0],
            nbformat.v4.new_code_cell(
                "import IPython.core.interactiveshell as s\n"
                "s.InteractiveShell.showtraceback = lambda *a, **k: None\n"
                "import builtins\nbuiltins.AssertionError = type('Quiet', (Exception,), {})"
            ),
        )
    return nb


def _kib(path: Path, field: str) -> int:
    try:
        text = path.read_text()
    except OSError:
        return 0
    return next((int(x.split()[1]) for x in text.splitlines() if x.startswith(field)), 0)


def rss_sampler(stop: threading.Event, peaks: dict[tuple[int, str], int]) -> None:
    """Peak memory of every grading worker, fork server and kernel process, from /proc.

    Keys are (pid, role). Processes forked from a warm parent (pool workers from
    multiprocessing's fork server, kernels from the sandbox's) share its pages
    copy-on-write, so their proportional share (PSS) is what the machine really
    spends; workers also get their resident set (RSS), an upper bound.
    """
    seen: dict[int, tuple[str, int]] = {}
    while not stop.is_set():
        procs = {}
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                cmdline = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                ppid = _kib(status, "PPid:")
            except (OSError, UnicodeDecodeError):
                continue
            procs[int(status.parent.name)] = (cmdline, ppid)
        # The fork server and its kernels share its command line (so does bwrap, which
        # starts it): Python processes with it are the server, their children kernels.
        forked = {
            pid
            for pid, (cmd, _) in procs.items()
            if FORK_SERVER_MARK in cmd and "python" in Path(cmd.split(" ")[0]).name
        }
        pool = {pid for pid, (cmd, _) in procs.items() if POOL_MARK in cmd}
        for pid, (cmdline, ppid) in procs.items():
            proc = Path(f"/proc/{pid}")
            if pid in forked:
                role = "kernel" if ppid in forked else "fork server"
                sizes = {role: _kib(proc / "smaps_rollup", "Pss:")}
            elif "ipykernel_launcher" in cmdline and "setpriv" not in cmdline:
                sizes = {"kernel": _kib(proc / "smaps_rollup", "Pss:")}
            elif pid in pool and ppid in pool and (cmdline, ppid) == seen.get(pid):
                # A pool worker (its parent: the pool's server), seen twice: not a worker's
                # fork caught between fork and exec as it starts a subprocess.
                sizes = {
                    "worker": _kib(proc / "status", "VmRSS:"),
                    "worker pss": _kib(proc / "smaps_rollup", "Pss:"),
                }
            else:
                continue
            for role, size in sizes.items():
                peaks[pid, role] = max(size, peaks.get((pid, role), 0))
        seen = procs
        time.sleep(0.2)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and of its children that it waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def cells_cpu(notebook: nbformat.NotebookNode, source, cell_timeout: int, folder: Path) -> float:
    """CPU the kernel spends running the notebook's cells, the teacher's test cells (as
    grading puts them back) in place of the student's copies; kernel start-up excluded."""
    from nbclient import NotebookClient

    teacher = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("locked")
    }
    nb = copy.deepcopy(notebook)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in teacher:
            cell.source = teacher[gid]
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    # What a kernel killed at a timeout prints on its way out is not a figure.
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        pid = client.km.provisioner.process.pid
        client.execute_cell(nbformat.v4.new_code_cell("pass"), 0)  # the kernel is up
        start = _cpu_seconds(pid)
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except Exception:  # a timeout or a dead kernel ends this notebook's run
                break
        return _cpu_seconds(pid) - start


def stock_scores(db: Path, aid: str) -> dict[str, float]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select s.student_id, sum(coalesce(g.auto_score, 0)) from submitted_assignment s "
            "join submitted_notebook n on n.assignment_id = s.id "
            "join grade g on g.notebook_id = n.id join assignment a on a.id = s.assignment_id "
            "where a.name = ? group by s.student_id",
            (aid,),
        ).fetchall()
    return {sid: float(score) for sid, score in rows}


class Baseline:
    """The grader as it was at a git revision: a worktree of it, imported first (PYTHONPATH)
    by this environment's `autograder` command, grading its own copy of the course."""

    def __init__(self, rev: str, work: Path, repo: Path, course_id: str, aid: str) -> None:
        self.tree = work / "baseline-tree"
        subprocess.run(
            ["git", "-C", ROOT, "worktree", "add", "--detach", self.tree, rev],
            check=True,
            capture_output=True,
        )
        self.env = {**ENV, "PYTHONPATH": str(self.tree)}
        self.repo = work / "baseline-repo"
        shutil.copytree(repo, self.repo)
        self.course_id, self.aid = course_id, aid
        # Run from the worktree: multiprocessing's fork server (the worker pool's) puts the
        # current folder first on its path, so from this checkout it would import this
        # checkout's package and the workers would die unpickling the baseline's jobs.
        subprocess.run(
            [BIN / "autograder", "--root", self.repo, "release", course_id, aid],
            check=True,
            env=self.env,
            cwd=self.tree,
            capture_output=True,
        )

    def grade(self, incoming: Path, workers: int, force: bool) -> float:
        command = [BIN / "autograder", "--root", self.repo, "grade", self.course_id, self.aid]
        command += [incoming, "--workers", str(workers)] + (["--force"] if force else [])
        start = time.monotonic()
        done = subprocess.run(command, env=self.env, cwd=self.tree, capture_output=True, text=True)
        seconds = time.monotonic() - start
        if done.returncode not in (0, 1):  # 1: some submission's grading failed, as may ours
            raise RuntimeError(f"the grader at the baseline failed:\n{done.stderr[-3000:]}")
        if done.returncode == 1:
            print(f"baseline: grading failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return seconds

    def remove(self) -> None:
        subprocess.run(
            ["git", "-C", ROOT, "worktree", "remove", "--force", self.tree], capture_output=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--assignment", default="mr/a1-camera", help="COURSE/ASSIGNMENT")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--cell-timeout", type=int, default=10)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="Grade everything again this many times in all, stock then ours each round, "
        "and report the median ratio (stock's time varies by 10%% from run to run here).",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        default=None,
        help="Also time the grader as it was at git revision REV, each round, on the same "
        "submissions, and print this checkout's time relative to it.",
    )
    args = parser.parse_args()
    course_id, aid = args.assignment.split("/")
    config = yaml.safe_load((ROOT / "course_configs" / f"{course_id}.yml").read_text())
    assignment = next(a for a in config["assignments"] if a["id"] == aid)
    assignment["limits"] = {**assignment.get("limits", {}), "cell_timeout": args.cell_timeout}
    assignment["limits"].setdefault("notebook_timeout", 300)
    config["assignments"] = [assignment]
    nb_name = assignment["notebooks"][0]["file"]

    with tempfile.TemporaryDirectory(prefix="autograder-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        # Our repository copy: the course config (this assignment only), its book pages, sources.
        repo = work / "repo"
        (repo / "course_configs").mkdir(parents=True)
        (repo / "course_configs" / f"{course_id}.yml").write_text(yaml.safe_dump(config))
        shutil.copytree(ROOT / "book" / course_id, repo / "book" / course_id)
        source_dir = ROOT / "assignments" / course_id / "source" / aid
        shutil.copytree(source_dir, repo / "assignments" / course_id / "source" / aid)
        baseline = None
        if args.against:
            baseline = Baseline(args.against, work, repo, course_id, aid)
            stack.callback(baseline.remove)
        subprocess.run(
            [BIN / "autograder", "--root", repo, "release", course_id, aid],
            check=True,
            env=ENV,
            capture_output=True,
        )
        source = nbformat.read(source_dir / nb_name, as_version=4)
        release = nbformat.read(repo / "assignments" / course_id / "release" / aid / nb_name, 4)
        # Every kind in KINDS' proportions, whatever N (the first N of KINDS would all be
        # correct ones for N <= 16).
        students = {
            f"{kind}-{i:02d}": kind
            for i, kind in enumerate(KINDS[i * len(KINDS) // args.n] for i in range(args.n))
        }
        incoming = work / "incoming"
        for student, kind in students.items():
            folder = incoming / student / aid
            folder.mkdir(parents=True)
            nbformat.write(make_submission(kind, source, release), folder / nb_name)

        # Stock nbgrader, its own course folder, the same timeout.
        stock = work / "stock"
        shutil.copytree(source_dir, stock / "source" / aid)
        (stock / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = '{course_id}'\n"
            f"c.Execute.timeout = {args.cell_timeout}\n"
        )
        subprocess.run(
            [BIN / "nbgrader", "generate_assignment", aid, "--create", "--force"],
            cwd=stock,
            check=True,
            env=ENV,
            capture_output=True,
        )
        shutil.copytree(incoming, stock / "submitted")

        def run_stock() -> float:
            start = time.monotonic()
            subprocess.run(
                [BIN / "nbgrader", "autograde", aid, "--create", "--force"],
                cwd=stock,
                env=ENV,
                capture_output=True,
            )
            return time.monotonic() - start

        stock_seconds = run_stock()
        stock_result = stock_scores(stock / "gradebook.db", aid)

        # The floor: every submission's cells, one after another, nothing else running.
        floor_cpu = 0.0
        for student in students:
            scratch = work / "floor" / student  # what the cells write stays out of `incoming`
            scratch.mkdir(parents=True)
            notebook = nbformat.read(incoming / student / aid / nb_name, 4)
            floor_cpu += cells_cpu(notebook, source, args.cell_timeout, scratch)
        floor_seconds = floor_cpu / (os.cpu_count() or 1)

        # Ours, timed alone: the memory sampler reads /proc for every process five
        # times a second, CPU the graders would otherwise share.
        command = [
            BIN / "autograder",
            "--root",
            repo,
            "grade",
            course_id,
            aid,
            incoming,
            "--workers",
            str(args.workers),
        ]
        start = time.monotonic()
        ours = subprocess.run(command, env=ENV, capture_output=True, text=True)
        our_seconds = time.monotonic() - start
        rounds = [(stock_seconds, our_seconds)]
        base_rounds = [baseline.grade(incoming, args.workers, force=False)] if baseline else []
        for _ in range(args.rounds - 1):  # regrading everything, as the first round did
            stock_again = run_stock()
            start = time.monotonic()
            subprocess.run([*command, "--force"], env=ENV, capture_output=True)
            rounds.append((stock_again, time.monotonic() - start))
            if baseline:
                base_rounds.append(baseline.grade(incoming, args.workers, force=True))
        # Again, regrading everything, to sample memory.
        peaks: dict[tuple[int, str], int] = {}
        stop = threading.Event()
        sampler = threading.Thread(target=rss_sampler, args=(stop, peaks), daemon=True)
        sampler.start()
        subprocess.run([*command, "--force"], env=ENV, capture_output=True)
        stop.set()
        sampler.join()
        db = repo / "assignments" / course_id / "gradebook.db"
        our_result = stock_scores(db, aid)

    honest = [s for s, kind in students.items() if kind != "hostile"]
    mismatches = {
        s: (stock_result.get(s), our_result.get(s))
        for s in honest
        if stock_result.get(s) != our_result.get(s)
    }
    hostile = {
        s: (stock_result.get(s), our_result.get(s)) for s, k in students.items() if k == "hostile"
    }
    n = len(students)
    kinds = list(students.values())
    stock_rate, our_rate = 60 * n / stock_seconds, 60 * n / our_seconds
    print(
        f"assignment: {args.assignment}, {n} submissions "
        f"({', '.join(f'{kinds.count(k)} {k}' for k in dict.fromkeys(KINDS))})"
    )
    print(f"stock nbgrader autograde: {stock_seconds:7.1f} s  {stock_rate:6.1f} submissions/min")
    print(
        f"autograder grade ({args.workers} workers, sandboxed): {our_seconds:7.1f} s  "
        f"{our_rate:6.1f} submissions/min"
    )
    print(f"ratio: {our_rate / stock_rate:.2f}x")
    print(
        f"floor: {floor_seconds:7.1f} s  (the cells' own CPU, {floor_cpu:.1f} s, "
        f"over {os.cpu_count()} cores); stock is {stock_seconds / floor_seconds:.2f}x the floor, "
        f"ours {our_seconds / floor_seconds:.2f}x"
    )
    if len(rounds) > 1:
        for i, (stock_s, ours_s) in enumerate(rounds, 1):
            print(
                f"round {i}: stock {stock_s:5.1f} s, ours {ours_s:5.1f} s: {stock_s / ours_s:.2f}x"
            )
        median = statistics.median(stock_s / ours_s for stock_s, ours_s in rounds)
        print(f"median ratio over {len(rounds)} rounds: {median:.2f}x")
    if base_rounds:
        for i, ((stock_s, ours_s), base_s) in enumerate(zip(rounds, base_rounds, strict=True), 1):
            print(
                f"round {i}: at {args.against}: {base_s:5.1f} s ({stock_s / base_s:.2f}x stock), "
                f"this checkout {ours_s:5.1f} s ({stock_s / ours_s:.2f}x stock)"
            )
        change = statistics.median(
            ours_s / base_s for (_, ours_s), base_s in zip(rounds, base_rounds, strict=True)
        )
        print(
            f"this checkout against {args.against}: median time ratio {change:.3f} "
            f"({(change - 1) * 100:+.1f}%; below 1 is faster)"
        )
    by_role: dict[str, list[int]] = {}
    for (_, role), size in peaks.items():
        by_role.setdefault(role, []).append(size)
    for role, label in (
        ("worker", "worker process (peak RSS)"),
        ("worker pss", "worker process (peak PSS)"),
        ("fork server", "fork server (peak PSS)"),
        ("kernel", "kernel (peak PSS)"),
    ):
        sizes = by_role.get(role)
        if sizes:
            print(
                f"memory per {label}: max {max(sizes) / 1024:.0f} MiB, "
                f"mean {sum(sizes) / len(sizes) / 1024:.0f} MiB over {len(sizes)}"
            )
    print(f"honest submissions scored alike: {len(honest) - len(mismatches)} of {len(honest)}")
    print(f"hostile submissions (stock, ours): {sorted(set(hostile.values()))}")
    if ours.returncode != 0:
        print(ours.stdout[-3000:], ours.stderr[-3000:])
    if mismatches:
        print(f"MISMATCH: {mismatches}")
        sys.exit(1)


if __name__ == "__main__":
    main()
