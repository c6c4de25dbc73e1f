"""Mutants per second: `autograder audit` against stock `nbgrader autograde`, in one run.

    .venv/bin/python benchmarks/mutation_speed.py [--assignment ai-intro/a3-uncertainty]
        [--n 16]

Takes the seeded sample of N mutants of a real assignment's solution that `audit` grades
and grades them twice: with `autograder audit` (sandboxed, two kernels per mutant forked
from the grading workers' warm fork servers, as real submissions are graded), and with
stock `nbgrader autograde` over the same mutants as submissions (one run over all of
them, unsandboxed: a kernel started cold for each), the baseline a teacher without the
toolkit has. Prints mutants per second for each and the ratio, and checks that both
refuse the same mutants (stock's verdict: fewer points than the solution). Only the
mutants are timed for ours (audit's own figure: the solution, release and counterexamples
it grades first are not counted). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.authoring import audit  # noqa: E402
from autograder.authoring.mutants import sample  # noqa: E402
from autograder.course.config import Assignment  # noqa: E402
from benchmarks.grade_throughput import BIN, ENV, stock_scores  # noqa: E402

FIGURE = re.compile(r"(\d+) graded of (\d+) in ([0-9.]+) s \(([0-9.]+) mutants/s\)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="ai-intro/a3-uncertainty", help="COURSE/ID")
    parser.add_argument("--n", type=int, default=16)
    args = parser.parse_args()
    course_id, aid = args.assignment.split("/")
    config = yaml.safe_load((ROOT / "course_configs" / f"{course_id}.yml").read_text())
    entry = next(a for a in config["assignments"] if a["id"] == aid)
    entry.update(mutants=args.n, counterexamples=[], equivalent_mutants=[])
    entry.pop("mutation_score", None)
    config["assignments"] = [entry]
    assignment = Assignment.model_validate(entry)
    source_dir = ROOT / "assignments" / course_id / "source" / aid

    with tempfile.TemporaryDirectory(prefix="autograder-mutbench-") as tmp:
        work = Path(tmp)
        repo = work / "repo"
        (repo / "course_configs").mkdir(parents=True)
        (repo / "course_configs" / f"{course_id}.yml").write_text(yaml.safe_dump(config))
        shutil.copytree(ROOT / "book" / course_id, repo / "book" / course_id)
        shutil.copytree(source_dir, repo / "assignments" / course_id / "source" / aid)

        done = subprocess.run(
            [BIN / "autograder", "--root", repo, "audit", course_id, aid],
            env=ENV,
            capture_output=True,
            text=True,
        )
        found = FIGURE.search(done.stdout)
        if found is None:
            raise SystemExit(f"audit printed no figures:\n{done.stdout[-3000:]}{done.stderr}")
        ours_n, ours_seconds = int(found.group(1)), float(found.group(3))
        report = yaml.safe_load(
            (repo / "assignments" / course_id / "reports" / aid / "mutation.json").read_text()
        )
        ours_refused = {m["id"] for m in report["mutants"] if m["verdict"] != "survived"}

        chosen = sample(audit.mutants_of(source_dir, assignment), args.n, seed=f"{course_id}/{aid}")
        stock = work / "stock"
        shutil.copytree(source_dir, stock / "source" / aid)
        cell_timeout = assignment.limits.cell_timeout
        (stock / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = '{course_id}'\n"
            f"c.Execute.timeout = {cell_timeout}\n"
        )
        subprocess.run(
            [BIN / "nbgrader", "generate_assignment", aid, "--create", "--force"],
            cwd=stock,
            check=True,
            env=ENV,
            capture_output=True,
        )
        audit.write_submissions(assignment, source_dir, work / "mutants", chosen)
        for index in range(len(chosen)):
            shutil.copytree(
                work / "mutants" / audit.student_id(index),
                stock / "submitted" / audit.student_id(index) / aid,
            )
        shutil.copytree(source_dir, stock / "submitted" / "solution" / aid)
        start = time.monotonic()
        subprocess.run(
            [BIN / "nbgrader", "autograde", aid, "--create", "--force"],
            cwd=stock,
            env=ENV,
            capture_output=True,
        )
        stock_seconds = time.monotonic() - start
        scores = stock_scores(stock / "gradebook.db", aid)
        full = scores.get("solution", 0.0)
        stock_refused = {
            m.id for i, m in enumerate(chosen) if scores.get(audit.student_id(i), 0.0) < full
        }

    stock_rate = (len(chosen) + 1) / stock_seconds
    ours_rate = ours_n / ours_seconds
    print(f"assignment {course_id}/{aid}: {len(chosen)} mutants, {os.cpu_count()} cores")
    print(f"stock nbgrader autograde: {stock_seconds:.1f} s, {stock_rate:.2f} mutants/s")
    print(f"autograder audit:         {ours_seconds:.1f} s, {ours_rate:.2f} mutants/s")
    print(f"ratio (ours / stock):     {ours_rate / stock_rate:.2f}x")
    print(
        f"refused: ours {len(ours_refused)}, stock {len(stock_refused)}; "
        f"refused by ours only: {sorted(ours_refused - stock_refused)}; "
        f"by stock only: {sorted(stock_refused - ours_refused)}"
    )


if __name__ == "__main__":
    main()
