"""Load on `autograder hub`: N students (default 40) sign in, fetch and submit at once.

    sudo .venv/bin/python benchmarks/hub_load.py [--students 40] [--ramp SECONDS] [--warm]
        [--hub-config FILE] [--spawn-retry 5] [--keep]

Issue 22 asks that 40 students can log in, fetch and submit within one minute through
the hub's HTTP API, with every submission collected exactly once and none lost or
mixed up. This script builds a throwaway course (the tests' demo course), imports a
roster of `load-01`..`load-NN`, releases and publishes its assignment, and starts a
real `autograder hub` (JupyterHub, configurable-http-proxy, one sandboxed JupyterLab
per student) on a free port, with its own state and exchange in a temporary folder.

Each simulated student then does what their browser would, all at the same time (or
spread over `--ramp` seconds): sign in (the first sign-in sets the password), start
their server through the hub's API and follow its progress stream until it is ready,
open their JupyterLab (the hub's OAuth round trip, which sets the server's cookies),
fetch the assignment with nbgrader's server extension, write an answer that carries a
value unique to them through the contents API, and submit. Every HTTP request goes
through the proxy and is timed. The teacher then runs `autograder collect`, and each
collected notebook must be there exactly once and hold its own student's value.

Printed: the wave's duration, the request count, latency p50/p95/max per kind of
request, how long servers took to start, and the peak RSS (sampled with psutil every
0.2 s) of the hub, of the proxy and of one single-user server (its process tree: the
bubblewrap sandbox and jupyterhub-singleuser; no kernel is started by this load).
`--ramp` spreads the students' arrivals; `--warm` starts every server first (untimed)
so the wave measures the hub and the exchange without the cost of starting servers,
which is what limits the wave: each JupyterLab server needs several CPU seconds to
start, so N fresh servers need at least N times that divided by the cores.
`--hub-config` adds JupyterHub settings (e.g. `c.JupyterHub.concurrent_spawn_limit`);
a student the spawn limit refuses (429) tries again after `--spawn-retry` seconds.
Everything is removed afterwards: the hub stops, the system users are deleted
(`userdel -r`) with their cgroups, and the temporary folder goes. Needs root (the hub
makes system users). Run by hand, not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' demo course and their way of starting a hub
from tests.factory import make_repo  # noqa: E402
from tests.hub import Hub  # noqa: E402

BIN = Path(sys.executable).parent
COURSE, ASSIGNMENT, NOTEBOOK = "demo", "a1", "demo.ipynb"  # tests/factory.py's course
PASSWORD = "load test password"
ANSWER_CELL = "add"  # the grade_id of the answer each student writes
SAMPLE_EVERY = 0.2
SPAWN = "spawn POST"  # a request the hub holds while the server starts: reported apart
CGROUPS = Path("/sys/fs/cgroup")


class LoadError(Exception):
    """A step of the benchmark failed; the message names the student and the step."""


# --- the course and the hub ---------------------------------------------------------


def cli(repo: Path, *args: str) -> str:
    """One `autograder` command on the throwaway repo; its output (raises if it failed)."""
    argv = [str(BIN / "autograder"), "--root", str(repo), *args]
    done = subprocess.run(
        argv, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    if done.returncode != 0:
        raise LoadError(f"`autograder {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def build_course(place: Path, users: list[str]) -> tuple[Path, Path]:
    """The tests' demo course with a roster of `users`, released and published; (repo, exchange)."""
    repo = make_repo(place / "repo")
    roster = place / "roster.csv"
    lines = ["First name,Last name,Username"]
    lines += [f"Load,{user.split('-')[-1]},{user}" for user in users]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    exchange = place / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader's rule: every user reaches the exchange
    cli(repo, "roster", "import", COURSE, str(roster))
    cli(repo, "release", COURSE, ASSIGNMENT)
    cli(repo, "publish", COURSE, ASSIGNMENT, "--exchange", str(exchange))
    return repo, exchange


# --- what the students do -----------------------------------------------------------


@dataclass
class Timings:
    """Every request's latency by kind, from all the students' threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    spawn_waits: list[float] = field(default_factory=list)
    done_at: list[float] = field(default_factory=list)

    def add(self, kind: str, took: float) -> None:
        with self.lock:
            self.seconds[kind].append(took)


class Student:
    """One simulated student's browser: a cookie jar, and each request timed."""

    def __init__(self, name: str, base: str, timings: Timings, retry: float) -> None:
        self.name, self.base, self.timings = name, base, timings
        self.retry = retry  # seconds before trying again when the hub's spawn limit says 429
        self.session = requests.Session()
        self.mark = f"{name}:{secrets.token_hex(8)}"  # what only this student's answer holds

    def request(self, kind: str, method: str, path: str, **kwargs: object) -> requests.Response:
        start = time.perf_counter()
        response = self.session.request(method, self.base + path, timeout=300, **kwargs)  # type: ignore[arg-type]
        refused = " 429" if response.status_code == 429 else ""  # the spawn limit's answer
        self.timings.add(kind + refused, time.perf_counter() - start)
        return response

    def xsrf(self, path: str) -> dict[str, str]:
        """The XSRF header for the hub (`/hub/`) or the user's server (`/user/<name>/`):
        each sets its own `_xsrf` cookie on its own path, and checks the header against it."""
        for cookie in self.session.cookies:
            if cookie.name == "_xsrf" and (cookie.path or "/").startswith(path):
                return {"X-XSRFToken": cookie.value or ""}
        raise LoadError(f"{self.name}: no _xsrf cookie for {path}")

    def fail(self, step: str, response: requests.Response) -> LoadError:
        return LoadError(f"{self.name}: {step}: HTTP {response.status_code} {response.text[:500]}")

    def sign_in(self) -> None:
        self.request("login", "GET", "/hub/login")
        form = {"username": self.name, "password": PASSWORD, **_form_xsrf(self.xsrf("/hub"))}
        response = self.request("login", "POST", "/hub/login", data=form, allow_redirects=False)
        if response.status_code != 302 or "/hub/login" in response.headers.get("Location", ""):
            raise self.fail("sign-in refused", response)

    def start_server(self) -> None:
        """POST the server, then read the progress stream (as the spawn page does) until ready."""
        api = f"/hub/api/users/{self.name}/server"
        start = time.perf_counter()
        # The hub holds this request until the server is up or slow_spawn_timeout (10 s).
        response = self.request(SPAWN, "POST", api, headers=self.xsrf("/hub"))
        while response.status_code == 429:  # concurrent_spawn_limit: the student tries again
            time.sleep(self.retry)
            response = self.request(SPAWN, "POST", api, headers=self.xsrf("/hub"))
        if response.status_code not in (201, 202):
            raise self.fail("start server", response)
        with self.session.get(
            f"{self.base}{api}/progress", headers=self.xsrf("/hub"), stream=True, timeout=300
        ) as stream:
            for raw in stream.iter_lines():
                line = raw.decode()
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                if event.get("failed"):
                    raise LoadError(f"{self.name}: the server failed to start: {event}")
                if event.get("ready"):
                    self.timings.spawn_waits.append(time.perf_counter() - start)
                    return
        raise LoadError(f"{self.name}: the progress stream ended before the server was ready")

    def open_lab(self) -> None:
        """The browser's redirect chain: server -> hub's OAuth -> server's callback -> /lab."""
        response = self.request("open lab", "GET", f"/user/{self.name}/lab")
        if not response.ok or not response.url.endswith("/lab"):
            raise self.fail("open JupyterLab", response)

    def fetch(self) -> None:
        server = f"/user/{self.name}/"
        data = {"course_id": COURSE, "assignment_id": ASSIGNMENT}
        response = self.request(
            "fetch", "POST", f"{server}assignments/fetch", data=data, headers=self.xsrf(server)
        )
        listed = _listed(response)
        if not response.ok or not any(a.get("status") == "fetched" for a in listed):
            raise self.fail("fetch (the assignment is not listed as fetched)", response)

    def answer(self) -> None:
        """Write the answer cell through the contents API, as JupyterLab saves it."""
        server = f"/user/{self.name}/"
        path = f"{server}api/contents/{COURSE}/{ASSIGNMENT}/{NOTEBOOK}"
        response = self.request("contents", "GET", path, params={"content": "1"})
        if not response.ok:
            raise self.fail("open the notebook", response)
        notebook = response.json()["content"]
        cells = [c for c in notebook["cells"] if _grade_id(c) == ANSWER_CELL]
        if len(cells) != 1:
            raise LoadError(f"{self.name}: the fetched notebook has no answer cell {ANSWER_CELL!r}")
        cells[0]["source"] = f'def add(a, b):\n    return a + b\n\nMARK = "{self.mark}"'
        body = {"type": "notebook", "format": "json", "content": notebook}
        response = self.request("contents", "PUT", path, json=body, headers=self.xsrf(server))
        if not response.ok:
            raise self.fail("save the notebook", response)

    def submit(self) -> None:
        server = f"/user/{self.name}/"
        data = {"course_id": COURSE, "assignment_id": ASSIGNMENT}
        response = self.request(
            "submit", "POST", f"{server}assignments/submit", data=data, headers=self.xsrf(server)
        )
        if not response.ok or not response.json().get("success"):
            raise self.fail("submit", response)

    def warm_up(self) -> None:
        """Sign in and start the server before the timed wave (--warm); the wave then
        begins with a new browser session that signs in again."""
        self.sign_in()
        self.start_server()
        self.session = requests.Session()

    def run(self, wave_start: float, delay: float, spawn: bool) -> None:
        time.sleep(delay)
        self.sign_in()
        if spawn:
            self.start_server()
        self.open_lab()
        self.fetch()
        self.answer()
        self.submit()
        self.timings.done_at.append(time.perf_counter() - wave_start)


def _form_xsrf(header: dict[str, str]) -> dict[str, str]:
    return {"_xsrf": header["X-XSRFToken"]}


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _listed(response: requests.Response) -> list[dict]:
    try:
        return list(response.json().get("value", []))
    except ValueError:
        return []


# --- memory ---------------------------------------------------------------------------


@dataclass
class Peaks:
    hub: int = 0
    proxy: int = 0
    server_tree: dict[str, int] = field(default_factory=dict)  # user -> peak RSS of the tree
    server_python: dict[str, int] = field(default_factory=dict)  # jupyterhub-singleuser alone
    servers_total: int = 0  # all servers' trees at once
    kernels_seen: int = 0
    in_tree: set[str] = field(default_factory=set)  # process names in a server's tree
    server_cpu: dict[str, float] = field(default_factory=dict)  # user -> CPU s of the server


class Sampler(threading.Thread):
    """RSS of the hub, the proxy and each user's server, every SAMPLE_EVERY seconds."""

    def __init__(self, hub_pid: int) -> None:
        super().__init__(daemon=True)
        self.hub = psutil.Process(hub_pid)
        self.peaks = Peaks()
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(SAMPLE_EVERY):
            try:
                self.sample()
            except psutil.Error:
                continue  # a process went away between listing and reading it

    def sample(self) -> None:
        peaks = self.peaks
        peaks.hub = max(peaks.hub, self.hub.memory_info().rss)
        total = 0
        for child in self.hub.children():
            command = " ".join(_cmdline(child))
            if "configurable-http-proxy" in command:
                peaks.proxy = max(peaks.proxy, _tree_rss(child, set())[0])
            elif Path(command.split(" ")[0]).name == "bwrap":
                rss, user, python, kernels = _tree_rss(child, peaks.in_tree, peaks.server_cpu)
                peaks.kernels_seen = max(peaks.kernels_seen, kernels)
                total += rss
                if user:
                    peaks.server_tree[user] = max(peaks.server_tree.get(user, 0), rss)
                    peaks.server_python[user] = max(peaks.server_python.get(user, 0), python)
        peaks.servers_total = max(peaks.servers_total, total)


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _tree_rss(
    top: psutil.Process, names: set[str], cpu: dict[str, float] | None = None
) -> tuple[int, str, int, int]:
    """(RSS of the tree without kernels, owner of jupyterhub-singleuser, its own RSS, kernels);
    the names of the processes seen go into `names`, the server's CPU seconds into `cpu`."""
    rss, user, python, kernels = 0, "", 0, 0
    for process in [top, *top.children(recursive=True)]:
        try:
            command = " ".join(process.cmdline())
            if "ipykernel" in command:
                kernels += 1
                continue
            own = process.memory_info().rss
            rss += own
            names.add(process.name())
            if "jupyterhub-singleuser" in command and process.name() not in ("bwrap", "setpriv"):
                user, python = process.username(), own
                if cpu is not None:
                    times = process.cpu_times()
                    cpu[user] = times.user + times.system
        except psutil.Error:
            continue
    return rss, user, python, kernels


def cgroup_peaks(users: list[str]) -> dict[str, int]:
    """memory.max_usage_in_bytes of each user's cgroup (cgroup v1; page cache included)."""
    found = {}
    for user in users:
        path = CGROUPS / "memory" / "autograder-hub" / user / "memory.max_usage_in_bytes"
        try:
            found[user] = int(path.read_text())
        except (OSError, ValueError):
            continue
    return found


# --- checking what the teacher collected ----------------------------------------------


def verify(repo: Path, exchange: Path, marks: dict[str, str], collected: str) -> list[str]:
    """Every problem with the collection: lost, duplicated or mixed-up submissions."""
    problems = []
    match = re.search(r"collected (\d+) submissions", collected)
    if not match or int(match.group(1)) != len(marks):
        problems.append(f"collect reported {collected.strip()!r}, expected {len(marks)}")
    inbound = exchange / COURSE / "inbound"
    made: dict[str, int] = defaultdict(int)
    for folder in inbound.glob(f"*+{ASSIGNMENT}+*"):
        made[folder.name.rsplit("+", 3)[0]] += 1
    for user in marks:
        if made.get(user, 0) != 1:
            problems.append(f"{user}: {made.get(user, 0)} submissions in the exchange, expected 1")
    submitted = repo / "assignments" / COURSE / "submitted"
    found = sorted(p.name for p in submitted.iterdir()) if submitted.is_dir() else []
    strangers = sorted(set(found) - set(marks))
    if strangers:
        problems.append(f"submitted/ holds folders of no student of this run: {strangers}")
    every_mark = re.compile(r"load-\d+:[0-9a-f]{16}")
    for user, mark in marks.items():
        notebooks = list((submitted / user).glob(f"*/{NOTEBOOK}"))
        if len(notebooks) != 1:
            problems.append(f"{user}: {len(notebooks)} collected notebooks, expected 1")
            continue
        text = notebooks[0].read_text()
        held = set(every_mark.findall(text))
        if held != {mark}:
            problems.append(f"{user}: the collected notebook holds {sorted(held)}, not {mark}")
    return problems


# --- cleaning up ------------------------------------------------------------------------


def remove_users(users: list[str]) -> list[str]:
    """Each benchmark user's leftover processes, account, home and cgroups; what failed."""
    failed = []
    for user in users:
        for process in psutil.process_iter(["username"]):
            if process.info["username"] == user:
                with contextlib.suppress(psutil.Error):
                    process.kill()
        done = subprocess.run(["userdel", "--remove", user], capture_output=True, text=True)
        if done.returncode not in (0, 6):  # 6: no such user (never made)
            failed.append(f"userdel {user}: {done.stderr.strip()}")
        for kind in ("memory", "cpu"):
            problem = _remove_cgroup(CGROUPS / kind / "autograder-hub" / user)
            if problem:
                failed.append(problem)
    return failed


def _remove_cgroup(folder: Path, within: float = 30) -> str:
    """rmdir a cgroup once its killed processes have gone (busy until then); a problem or ""."""
    deadline = time.monotonic() + within
    while folder.is_dir():
        try:
            folder.rmdir()
        except OSError as error:
            if time.monotonic() > deadline:
                return f"{folder}: {error.strerror}"
            time.sleep(0.5)
    return ""


def existing(users: list[str]) -> list[str]:
    import pwd

    found = []
    for user in users:
        try:
            pwd.getpwnam(user)
            found.append(user)
        except KeyError:
            continue
    return found


# --- the report -----------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def mib(value: float) -> str:
    return f"{value / 2**20:.0f} MiB"


def report(
    timings: Timings,
    wave: float,
    peaks: Peaks,
    cgroups: dict[str, int],
    cpu: dict[str, float],
    failures: list[str],
    students: int,
    load: tuple[float, float],
) -> Iterator[str]:
    ok = students - len(failures)
    yield f"students: {students}, finished the whole cycle: {ok}"
    verdict = "within" if wave <= 60 and not failures else "NOT within"
    yield f"wave (first sign-in to last submit): {wave:.1f} s ({verdict} one minute)"
    if timings.done_at:
        done = timings.done_at
        yield (
            f"  a student's cycle ended after: p50 {percentile(done, 50):.1f} s, "
            f"max {max(done):.1f} s"
        )
    if timings.spawn_waits:
        waits = timings.spawn_waits
        yield (
            f"server start (POST to ready): p50 {percentile(waits, 50):.1f} s, "
            f"p95 {percentile(waits, 95):.1f} s, max {max(waits):.1f} s"
        )
    every = [t for kind in timings.seconds.values() for t in kind]
    yield f"HTTP requests through the proxy: {len(every)} (progress streams not counted)"
    but_spawn = [t for kind, ts in timings.seconds.items() if kind != SPAWN for t in ts]
    rows = [("all", every), ("all but spawn POST", but_spawn), *sorted(timings.seconds.items())]
    yield f"  {'kind':<18} {'count':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    for kind, values in rows:
        if values:
            yield (
                f"  {kind:<18} {len(values):>5} {percentile(values, 50) * 1000:>8.0f} "
                f"{percentile(values, 95) * 1000:>8.0f} {max(values) * 1000:>8.0f}"
            )
    yield f"peak RSS, hub (jupyterhub): {mib(peaks.hub)}; proxy (node): {mib(peaks.proxy)}"
    if peaks.server_tree:
        trees = list(peaks.server_tree.values())
        pythons = list(peaks.server_python.values())
        yield (
            f"peak RSS, one single-user server (bwrap + jupyterhub-singleuser, no kernel): "
            f"median {mib(percentile(trees, 50))}, max {mib(max(trees))} "
            f"(jupyterhub-singleuser alone: median {mib(percentile(pythons, 50))}, "
            f"max {mib(max(pythons))}); all {len(trees)} servers at once: "
            f"{mib(peaks.servers_total)}; kernels seen: {peaks.kernels_seen}; "
            f"processes in a server's tree: {', '.join(sorted(peaks.in_tree))}"
        )
    if peaks.server_cpu:
        used = list(peaks.server_cpu.values())
        yield (
            f"CPU seconds of one jupyterhub-singleuser (start-up and this load): "
            f"median {percentile(used, 50):.1f}, max {max(used):.1f}; all servers: {sum(used):.0f}"
        )
    if cgroups:
        yield (
            f"peak of a user's memory cgroup (page cache included): "
            f"median {mib(percentile(list(cgroups.values()), 50))}, "
            f"max {mib(max(cgroups.values()))}"
        )
    yield (
        f"CPU seconds used during the wave: hub {cpu.get('hub', 0):.1f}, "
        f"proxy {cpu.get('proxy', 0):.1f}; machine: {os.cpu_count()} cores, "
        f"load average before {load[0]:.2f}, after {load[1]:.2f}"
    )
    for failure in failures:
        yield f"FAILED {failure}"


def cpu_seconds(hub_pid: int) -> dict[str, float]:
    """CPU time so far of the hub and of the proxy."""
    found: dict[str, float] = {}
    try:
        hub = psutil.Process(hub_pid)
        times = hub.cpu_times()
        found["hub"] = times.user + times.system
        for child in hub.children():
            if "configurable-http-proxy" in " ".join(_cmdline(child)):
                times = child.cpu_times()
                found["proxy"] = times.user + times.system
    except psutil.Error:
        pass
    return found


# --- main ---------------------------------------------------------------------------------


def wave(
    students: list[Student], step: Callable[[Student, float, float], None], ramp: float
) -> tuple[float, dict[str, str]]:
    """`step(student, wave start, delay)` for all students at once, each `ramp`/N after the
    one before; (seconds, {student: why it failed})."""
    failures: dict[str, str] = {}
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(students)) as pool:
        futures = {
            pool.submit(step, s, start, ramp * i / len(students)): s.name
            for i, s in enumerate(students)
        }
        for future, name in futures.items():
            try:
                future.result()
            except (LoadError, requests.RequestException, ValueError) as error:
                failures[name] = str(error)
    return time.perf_counter() - start, failures


def run(args: argparse.Namespace) -> int:
    count, ramp, keep, extra = args.students, args.ramp, args.keep, args.hub_config
    users = [f"load-{k:02d}" for k in range(1, count + 1)]
    already = existing(users)
    if already:
        print(
            f"system users {', '.join(already)} already exist; this benchmark makes and deletes "
            f"its own. If they are left from an earlier run, remove them: "
            f"userdel --remove {already[0]} (and the others)",
            file=sys.stderr,
        )
        return 2
    place = Path(tempfile.mkdtemp(prefix="ag-load-"))
    place.chmod(0o755)  # the students' sandboxes reach the exchange and settings under it
    hub: Hub | None = None
    cleanup: list[Callable[[], None]] = []
    try:
        print(f"building the course and a roster of {count} students in {place} ...", flush=True)
        repo, exchange = build_course(place, users)
        hub = Hub(repo, place / "state", exchange, extra)
        hub.start(within=120)
        cleanup.append(hub.stop)
        assert hub.process is not None
        print(f"hub up on {hub.base} (log {hub.log}); the wave starts", flush=True)
        if extra:
            print(f"hub settings added ({extra}):\n{extra.read_text().strip()}", flush=True)
        sampler = Sampler(hub.process.pid)
        sampler.start()
        students = [Student(user, hub.base, Timings(), args.spawn_retry) for user in users]
        if args.warm:
            took, failures = wave(students, lambda s, _, __: s.warm_up(), 0)
            warm = Timings()
            for student in students:
                warm.spawn_waits += student.timings.spawn_waits
                student.timings = Timings()
            print(f"warm-up: {len(students) - len(failures)} of {count} servers up in {took:.0f} s")
            if warm.spawn_waits:
                waits = warm.spawn_waits
                print(f"  server start: p50 {percentile(waits, 50):.1f} s, max {max(waits):.1f} s")
            students = [s for s in students if s.name not in failures]
        timings = Timings()
        for student in students:
            student.timings = timings
        load_before = os.getloadavg()[0]
        cpu_before = cpu_seconds(hub.process.pid)
        took, failures = wave(students, lambda s, t, d: s.run(t, d, not args.warm), ramp)
        cpu_after = cpu_seconds(hub.process.pid)
        load_after = os.getloadavg()[0]
        sampler.halt.set()
        sampler.join()
        cgroups = cgroup_peaks(users)
        try:
            collected = cli(repo, "collect", COURSE, ASSIGNMENT, "--exchange", str(exchange))
        except LoadError as error:  # e.g. nothing submitted: still report the wave
            collected = str(error)
        submitted = {s.name: s.mark for s in students if s.name not in failures}
        problems = verify(repo, exchange, submitted, collected)
        cpu = {k: cpu_after[k] - cpu_before.get(k, 0) for k in cpu_after}
        for line in report(
            timings,
            took,
            sampler.peaks,
            cgroups,
            cpu,
            [f"{name}: {why}" for name, why in failures.items()],
            len(students),
            (load_before, load_after),
        ):
            print(line)
        if problems:
            print("COLLECTION PROBLEMS:\n" + "\n".join(f"- {p}" for p in problems))
        else:
            print(
                f"collected: all {len(submitted)} submissions that were made, each exactly "
                f"once, each notebook holding its own student's value"
            )
        return 1 if failures or problems else 0
    finally:
        print("cleaning up: stopping the hub, removing the users ...", flush=True)
        for step in cleanup:
            step()
        for problem in remove_users(users):
            print(f"cleanup: {problem}", file=sys.stderr)
        if keep:
            print(f"kept {place}")
        else:
            shutil.rmtree(place, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=40, help="how many (default 40)")
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="spread the students' starts over this many seconds (default 0: all at once)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (hub log)")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="start every server before the timed wave (untimed, reported apart); the wave "
        "is then sign-in, open, fetch, answer, submit: the hub and exchange without spawn cost",
    )
    parser.add_argument(
        "--spawn-retry",
        type=float,
        default=5.0,
        help="seconds a student waits to try again when the hub's concurrent_spawn_limit "
        "answers 429 (default 5)",
    )
    parser.add_argument(
        "--hub-config",
        type=Path,
        default=None,
        help="JupyterHub settings loaded last (autograder hub --extra-config), e.g. a file with "
        "`c.JupyterHub.concurrent_spawn_limit = 4` or `c.Spawner.http_timeout = 300`",
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        print(
            "hub_load.py must run as root: the hub makes a system user per student and "
            "starts each one's server as that user (sudo .venv/bin/python benchmarks/hub_load.py)",
            file=sys.stderr,
        )
        return 2
    if not 1 <= args.students <= 99:
        parser.error("--students must be between 1 and 99 (user names load-01..load-99)")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
