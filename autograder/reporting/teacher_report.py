"""`autograder report`: one HTML page per assignment for the teacher, from the gradebook.

It answers the questions a teacher has after grading hundreds of submissions:
how did the class do, which questions were hard, which tests fail most and why,
who was late, which submissions need a human (ungradable, grader errors,
tampering), and which written answers and tasks still wait to be graded by a person
(their scores count as zero until then, so the page says which totals are not final).
Figures are PNG files beside the page, so it opens offline.
"""

from __future__ import annotations

import html
import os
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure
from nbgrader.api import MissingEntry

from autograder.course.config import Assignment, Course
from autograder.grading import store
from autograder.grading.scores import Breakdown, breakdown
from autograder.nbgrader import db
from autograder.reporting import mutation_page


@dataclass
class QuestionStats:
    grade_id: str
    notebook: str
    max_score: float
    scores: list[float] = field(default_factory=list)
    """Final scores only: a cell waiting for a person is counted in `waiting` instead."""
    by_person: bool = False
    waiting: int = 0

    @property
    def pass_rate(self) -> float:
        return (
            sum(s >= self.max_score for s in self.scores) / len(self.scores) if self.scores else 0
        )

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0


@dataclass
class Submission:
    student: str
    score: float
    max_score: float
    seconds_late: float
    penalty: float
    status: str
    messages: list[str]
    split: Breakdown = field(default_factory=lambda: Breakdown(()))
    tests: list[store.TestResult] = field(default_factory=list)
    """Why each graded cell earned what it did; none for a gradebook from before these
    were recorded, or for a submission that could not be graded."""


def collect(
    course: Course, assignment: Assignment, db_url: str
) -> tuple[list[Submission], list[QuestionStats]]:
    recorded = store.load(db_url, assignment.id)
    per_test = store.load_tests(db_url, assignment.id)
    questions: dict[tuple[str, str], QuestionStats] = {}
    submissions: list[Submission] = []
    with db.gradebook(db_url, course.id) as gb:
        try:
            gb.find_assignment(assignment.id)
        except MissingEntry:
            return [], []
        for sub in gb.assignment_submissions(assignment.id):
            record = recorded.get(sub.student_id)
            penalty = float(sub.late_submission_penalty or 0.0)
            submissions.append(
                Submission(
                    sub.student_id,
                    float(sub.score) - penalty,
                    float(sub.max_score),
                    float(sub.total_seconds_late or 0.0),
                    penalty,
                    record.status if record else "graded",
                    record.messages if record else [],
                    breakdown(sub, assignment),
                    per_test.get(sub.student_id, []),
                )
            )
            for cell in submissions[-1].split.cells:
                stats = questions.setdefault(
                    (cell.notebook, cell.grade_id),
                    QuestionStats(cell.grade_id, cell.notebook, cell.max_score, [], cell.by_person),
                )
                if cell.waiting:
                    stats.waiting += 1
                else:
                    stats.scores.append(cell.score)
    return sorted(submissions, key=lambda s: s.student), sorted(
        questions.values(), key=lambda q: (q.notebook, q.grade_id)
    )


Question = tuple[str, str]
"""(notebook, grade id): grade ids are unique per notebook, not per assignment."""


def _short_of_full(test: store.TestResult) -> bool:
    return test.status not in (store.TestStatus.PASSED, store.TestStatus.WAITING)


def failure_messages(submissions: list[Submission]) -> dict[Question, Counter[str]]:
    """(notebook, grade id) -> Counter of the messages of the tests that did not earn full
    points, from the recorded per-test results (never parsed out of the messages)."""
    counters: dict[Question, Counter[str]] = {}
    for sub in submissions:
        for test in sub.tests:
            if _short_of_full(test) and test.message:
                key = (test.notebook, test.grade_id)
                counters.setdefault(key, Counter())[test.message] += 1
    return counters


def failure_statuses(submissions: list[Submission]) -> dict[Question, Counter[str]]:
    """(notebook, grade id) -> how many of its results have each status short of passing."""
    counters: dict[Question, Counter[str]] = {}
    for sub in submissions:
        for test in sub.tests:
            if _short_of_full(test):
                key = (test.notebook, test.grade_id)
                counters.setdefault(key, Counter())[test.status.value] += 1
    return counters


def _figures(
    out: Path, submissions: list[Submission], questions: list[QuestionStats], max_score: float
) -> dict[str, str]:
    figures = {}
    # A Figure of its own, not pyplot's: no backend to choose for the whole process, and
    # nothing kept in pyplot's registry of open figures.
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    ax.hist(
        [s.score for s in submissions],
        bins=min(20, max(5, int(max_score) + 1)),
        range=(0, max_score),
        color="#3a6ea5",
        edgecolor="white",
    )
    ax.set_xlabel("score (after late penalties)")
    ax.set_ylabel("submissions")
    ax.set_title("Score distribution")
    fig.tight_layout()
    fig.savefig(out / "scores.png", dpi=110)
    figures["scores"] = "scores.png"
    if questions:
        fig = Figure(figsize=(7, 0.45 * len(questions) + 1.2))
        ax = fig.subplots()
        names = [q.grade_id for q in questions]
        ax.barh(names, [100 * q.pass_rate for q in questions], color="#5a9e6f")
        ax.set_xlim(0, 100)
        ax.invert_yaxis()
        ax.set_xlabel("submissions with full points (%)")
        ax.set_title("Pass rate per question")
        fig.tight_layout()
        fig.savefig(out / "questions.png", dpi=110)
        figures["questions"] = "questions.png"
    return figures


def _graded_by(question: QuestionStats) -> str:
    if not question.by_person:
        return "tests"
    return "a person" + (f" ({question.waiting} waiting)" if question.waiting else "")


def _feedback_link(course_root: Path, out: Path, student: str, assignment: Assignment) -> str:
    """A link from the page in `out` to the student's feedback page.

    Relative, so the report and the course folder can be moved together; `out` may
    be anywhere (`report --out`), not only inside the course folder."""
    folder = course_root / "feedback" / student / assignment.id
    pages = sorted(folder.glob("*.html"))
    if not pages:
        return "no feedback yet"
    rel = Path(os.path.relpath(pages[0].resolve(), out.resolve())).as_posix()
    return f'<a href="{html.escape(urllib.parse.quote(rel))}">feedback</a>'


def write(
    course: Course, assignment: Assignment, course_root: Path, db_url: str, out: Path
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    submissions, questions = collect(course, assignment, db_url)
    max_score = assignment.max_score
    figures = _figures(out, submissions, questions, max_score) if submissions else {}
    failures = failure_messages(submissions)
    statuses = failure_statuses(submissions)
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Report: {esc(course.id)}/{esc(assignment.id)}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;"
        "text-align:left;vertical-align:top}</style></head><body>",
        f"<h1>{esc(course.title.en)}: {esc(assignment.title)}</h1>",
    ]
    strength = mutation_page.summary(out)
    if strength is not None:
        score, floor = strength
        parts.append(
            f"<p>Test strength: mutation score {score:.2f}"
            + (f" (floor {floor:.2f})" if floor is not None else "")
            + f", from the last <code>autograder audit</code>: <a href='{mutation_page.PAGE}'>"
            "surviving mutants and counterexamples</a>.</p>"
        )
    if not submissions:
        parts.append("<p>No graded submissions yet.</p></body></html>")
    else:
        scores = sorted(s.score for s in submissions)
        median = scores[len(scores) // 2]
        mean = sum(scores) / len(scores)
        parts += [
            "<h2>Scores</h2>",
            f"<p>{len(submissions)} submissions; mean {mean:.2f}, median {median:g} "
            f"of {max_score:g} points.</p>",
            f"<img src='{figures['scores']}' alt='Histogram of scores: {len(submissions)} "
            f"submissions, mean {mean:.1f} of {max_score:g} points'>",
        ]
        waiting = [s for s in submissions if not s.split.complete]
        if waiting:
            parts.append(
                f"<p><strong>Not final:</strong> {len(waiting)} of {len(submissions)} submissions "
                "have answers or tasks still to be graded by a person (below); they count as "
                "zero in these figures until then.</p>"
            )
        parts += [
            "<h2>Questions</h2>",
            "<table><tr><th>question</th><th>points</th><th>pass rate</th>"
            "<th>mean points</th><th>graded by</th></tr>",
        ]
        parts += [
            f"<tr><td>{esc(q.grade_id)}</td><td>{q.max_score:g}</td><td>{q.pass_rate:.0%}</td>"
            f"<td>{q.mean:.2f}</td><td>{_graded_by(q)}</td></tr>"
            for q in questions
        ]
        parts.append("</table>")
        if "questions" in figures:
            parts.append(
                f"<img src='{figures['questions']}' alt='Bar chart of the share of "
                "submissions with full points on each question'>"
            )
        parts += [
            "<h2>Tests that fail most often</h2>",
            "<table><tr><th>test</th><th>failures</th><th>why</th>"
            "<th>most common messages</th></tr>",
        ]
        ranked = sorted(
            (q for q in questions if not q.by_person),
            key=lambda q: sum(s < q.max_score for s in q.scores),
            reverse=True,
        )
        for q in ranked:
            n_fail = sum(s < q.max_score for s in q.scores)
            if not n_fail:
                continue
            key = (q.notebook, q.grade_id)
            common = "".join(
                f"<li>{esc(m)} ({n}×)</li>" for m, n in failures.get(key, Counter()).most_common(3)
            )
            why = ", ".join(
                f"{n} {esc(status.replace('_', ' '))}"
                for status, n in statuses.get(key, Counter()).most_common()
            )
            parts.append(
                f"<tr><td>{esc(q.grade_id)}</td><td>{n_fail}</td><td>{why}</td>"
                f"<td><ul>{common}</ul></td></tr>"
            )
        parts.append("</table>")
        late = [s for s in submissions if s.seconds_late > 0]
        parts.append("<h2>Late submissions</h2>")
        if late:
            parts.append("<table><tr><th>student</th><th>late by</th><th>penalty</th></tr>")
            parts += [
                f"<tr><td>{esc(s.student)}</td><td>{s.seconds_late / 3600:.1f} h</td>"
                f"<td>{s.penalty:g}</td></tr>"
                for s in late
            ]
            parts.append("</table>")
        else:
            parts.append("<p>None.</p>")
        if waiting or any(q.by_person for q in questions):
            parts.append("<h2>Waiting for grading by a person</h2>")
        if waiting:
            parts += [
                "<p>Grade these in formgrader (<code>nbgrader formgrader</code> in the course "
                "folder), then run <code>autograder feedback</code>, <code>export</code> and "
                "<code>report</code> again.</p>",
                "<table><tr><th>student</th><th>answers and tasks</th><th>points</th></tr>",
            ]
            parts += [
                f"<tr><td>{esc(s.student)}</td><td>{esc(', '.join(s.split.waiting))}</td>"
                f"<td>{s.split.waiting_points:g}</td></tr>"
                for s in waiting
            ]
            parts.append("</table>")
        elif any(q.by_person for q in questions):
            parts.append("<p>None: every answer and task has its score.</p>")
        attention = [s for s in submissions if s.status != store.GRADED]
        parts.append("<h2>Submissions that need a human</h2>")
        if attention:
            parts.append("<table><tr><th>student</th><th>status</th><th>why</th></tr>")
            parts += [
                f"<tr><td>{esc(s.student)}</td><td>{esc(s.status)}</td><td>"
                + "<br>".join(esc(m) for m in s.messages)
                + "</td></tr>"
                for s in attention
            ]
            parts.append("</table>")
        else:
            parts.append("<p>None: every submission was graded normally.</p>")
        parts += [
            "<h2>All submissions</h2>",
            "<table><tr><th>student</th><th>score</th><th>status</th><th>feedback</th></tr>",
        ]
        for s in submissions:
            link = _feedback_link(course_root, out, s.student, assignment)
            final = "" if s.split.complete else " (not final: grading by a person to come)"
            parts.append(
                f"<tr><td>{esc(s.student)}</td><td>{s.score:g} / {s.max_score:g}{final}</td>"
                f"<td>{esc(s.status)}</td><td>{link}</td></tr>"
            )
        parts.append("</table></body></html>")
    page = out / "index.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    return page
