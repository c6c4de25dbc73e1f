"""What a call across the boundary costs (runtime/boundary), against the same call in-process.

    .venv/bin/python benchmarks/boundary_calls.py [--calls 2000] [--rounds 5]

Starts a student process the way grading would reach a kernel: a fresh interpreter that
cannot import this package, given the boundary's student side as source
(boundary.kernel_program) and a socketpair, serving a namespace of small functions. Then
times, on the grading side, each kind of call through a Peer and the same call on the
same functions defined in this process:

    int        a function of no arguments returning an int
    array      a function taking and returning an array of 1000 float64
    method     a method of a student's object through its handle (`obj.bump(1)`: a getattr
               for the bound method, then a call: two round trips)
    bound      the bound method fetched once, then called (one round trip)

and prints microseconds per call: wall-clock time (the best of --rounds rounds of --calls
calls, so that other work on the machine inflates it less), the CPU time both processes
spent per call in that round (which other work inflates little: on a busy machine the
wall time is mostly waiting for a core), and the ratio of the wall time to the
in-process call's. The target: well under 1 ms per small call. Not part of the test
suite.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder.runtime.boundary import Peer, kernel_program  # noqa: E402

PACKAGE = "_autograder_boundary_bench"
STUDENT_CODE = """
import time
import numpy as np

def cpu():
    return time.process_time()

def answer():
    return 42

def double(x):
    return x * 2

class Counter:
    def __init__(self):
        self.count = 0

    def bump(self, n):
        self.count += n
        return self.count
"""


def student_process(sock: socket.socket) -> subprocess.Popen[bytes]:
    program = (
        "import sys\nsys.modules['autograder'] = None\n"
        + kernel_program(PACKAGE)
        + "import socket\n"
        + "namespace = {'__name__': '__main__'}\n"
        + f"exec(compile({STUDENT_CODE!r}, '<student>', 'exec'), namespace)\n"
        + f"channel = sys.modules[{PACKAGE!r}].channel\n"
        + f"channel.Peer(socket.socket(fileno={sock.fileno()}), namespace, "
        + "channel.STUDENT_SERVES, None).serve()\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", program], pass_fds=[sock.fileno()], env=env)


def best_time(
    call: Callable[[], object], calls: int, rounds: int, student_cpu: Callable[[], float]
) -> tuple[float, float]:
    """Seconds per call of the best round: wall-clock, and CPU of both processes (this
    one's and the student's, read before and after the round)."""
    for _ in range(min(calls, 200)):
        call()
    best = (float("inf"), float("inf"))
    for _ in range(rounds):
        cpu_here, cpu_there = time.process_time(), student_cpu()
        start = time.perf_counter()
        for _ in range(calls):
            call()
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_here + student_cpu() - cpu_there
        best = min(best, (wall / calls, cpu / calls))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    grading, student = socket.socketpair()
    process = student_process(student)
    student.close()
    client = Peer(grading, timeout=30)
    local: dict[str, object] = {"__name__": "local"}
    exec(compile(STUDENT_CODE, "<local>", "exec"), local)
    try:
        data = np.linspace(0.0, 1.0, 1000)
        remote_answer, remote_double = client.lookup("answer"), client.lookup("double")
        remote_counter = client.lookup("Counter")()
        remote_bump = remote_counter.bump
        local_answer: Callable[[], int] = local["answer"]  # type: ignore[assignment]
        local_double: Callable[[np.ndarray], np.ndarray] = local["double"]  # type: ignore[assignment]
        local_counter = local["Counter"]()  # type: ignore[operator]
        assert remote_answer() == local_answer() == 42
        assert np.array_equal(remote_double(data), local_double(data))
        cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            ("int", remote_answer, local_answer),
            ("array", lambda: remote_double(data), lambda: local_double(data)),
            ("method", lambda: remote_counter.bump(1), lambda: local_counter.bump(1)),
            ("bound", lambda: remote_bump(1), lambda: local_counter.bump(1)),
        ]
        student_cpu: Callable[[], float] = client.lookup("cpu")
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        header = f"{'call':8} {'boundary µs':>12} {'CPU µs':>8} {'in-process µs':>14} {'ratio':>7}"
        print(header)
        for name, remote, in_process in cases:
            across, cpu = best_time(remote, options.calls, options.rounds, student_cpu)
            here, _ = best_time(in_process, options.calls * 10, options.rounds, lambda: 0.0)
            print(
                f"{name:8} {across * 1e6:12.1f} {cpu * 1e6:8.1f} {here * 1e6:14.3f} "
                f"{across / here:7.0f}"
            )
    finally:
        client.shutdown()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
