"""The teacher's page on how strong an assignment's tests are (`autograder audit`).

One page per assignment, beside the results report: the mutation score and its floor,
each test's share of the mutants it refuses, the counterexamples and what each earned,
and every surviving mutant as a diff of the solution, so the teacher sees what the
tests cannot tell apart from it. mutation.json beside it holds the same for tools; the
results report (teacher_report.py) links here and shows the score.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from autograder.authoring.audit import MutationReport

PAGE, DATA = "mutation.html", "mutation.json"


def _mutant_rows(report: MutationReport) -> list[str]:
    esc = html.escape
    rows = []
    for o in sorted(report.outcomes, key=lambda o: (o.killed, o.mutant.id)):
        if o.acknowledged:
            note = f"acknowledged as equivalent: {esc(o.acknowledged)}"
        elif o.looks_equivalent:
            note = f"may be equivalent: {esc(o.looks_equivalent)}"
        elif o.why_not_graded:
            note = esc(o.why_not_graded)
        else:
            note = ", ".join(esc(t) for t in o.killed_by)
        rows.append(
            f"<tr><td><code>{esc(o.mutant.id)}</code></td><td>{esc(o.mutant.what)}</td>"
            f"<td>{esc(o.verdict)}</td><td>{note}</td>"
            f"<td><details><summary>diff</summary><pre>{esc(o.mutant.diff())}</pre>"
            "</details></td></tr>"
        )
    return rows


def write(report: MutationReport, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DATA).write_text(json.dumps(report.to_json(), indent=1), encoding="utf-8")
    esc = html.escape
    floor = f"{report.floor:.2f}" if report.floor is not None else "none set"
    verdict = (
        "meets its floor"
        if report.floor is None or report.score >= report.floor - 1e-9
        else "<strong>below its floor</strong>"
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Test strength: {esc(report.course_id)}/{esc(report.assignment_id)}</title>",
        "<style>body{font-family:sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;"
        "text-align:left;vertical-align:top}pre{margin:0}</style></head><body>",
        f"<h1>Test strength: {esc(report.course_id)}/{esc(report.assignment_id)}</h1>",
        f"<p>Mutation score <strong>{report.score:.2f}</strong> (floor {floor}): the suite "
        f"{verdict}. {esc(report.summary())}.</p>",
        "<p>A mutant is the solution with one small change (an operator, a constant, a "
        "condition, a statement, a bound). A test that pays it less than full refuses it; a "
        "mutant that earns full marks survives: the tests cannot tell it from the solution. "
        "A survivor that behaves exactly as the solution can be acknowledged in the course "
        "config under <code>equivalent_mutants:</code> with a reason.</p>",
        "<h2>Tests</h2>",
        "<table><tr><th>test</th><th>mutants refused</th><th>of those in the answers it "
        "uses</th><th>share</th></tr>",
    ]
    parts += [
        f"<tr><td>{esc(t.grade_id)}</td><td>{t.killed}</td><td>{t.reach}</td>"
        f"<td>{t.score:.2f}</td></tr>"
        for t in report.tests
    ]
    parts += [
        "</table>",
        "<h2>Counterexamples</h2>",
    ]
    if report.counterexamples:
        parts.append(
            "<table><tr><th>counterexample</th><th>why it must not pay</th><th>earned</th>"
            "<th>cap</th><th>held</th></tr>"
        )
        parts += [
            f"<tr><td>{esc(c.name)}</td><td>{esc(c.reason)}</td><td>{c.earned:g}</td>"
            f"<td>{esc(c.cap)}</td><td>{'yes' if c.held else '<strong>no</strong>'}</td></tr>"
            for c in report.counterexamples
        ]
        parts.append("</table>")
    else:
        parts.append("<p>None listed in the course config.</p>")
    parts += [
        "<h2>Mutants</h2>",
        "<table><tr><th>mutant</th><th>change</th><th>verdict</th><th>refused by, or note"
        "</th><th></th></tr>",
        *_mutant_rows(report),
        "</table></body></html>",
    ]
    page = folder / PAGE
    page.write_text("\n".join(parts), encoding="utf-8")
    return page


def summary(folder: Path) -> tuple[float, float | None] | None:
    """(score, floor) of the last audit, for the results report; None before any audit
    or when its file is unreadable."""
    try:
        data = json.loads((folder / DATA).read_text(encoding="utf-8"))
        floor = data["floor"]
        return float(data["score"]), None if floor is None else float(floor)
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
