"""How long a lecture takes to study, counted from the lecture itself.

A flat "6 hours per lecture" is wrong for most lectures and goes stale as they change.
The estimate is computed from what the page holds, every time the book is built: its
prose, the code a student reads and runs, its exercises and its quiz, each at a stated
rate, so a lecture that grows says so. The rates are for a working professional who
reads to understand, runs every cell and looks at its output:

- prose with maths, read to understand: 100 words a minute (about half of the
  200-250 words a minute of reading for general comprehension);
- code: 4 lines a minute to read a cell, run it and make sense of what it prints or draws;
- an exercise: 20 minutes, attempting it before opening the solution (the solution's
  code is counted here, not as code to read);
- a quiz question: 2 minutes, reading the explanations included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nbformat import NotebookNode

from autograder.course.quiz import QuizError, parse_quiz, quiz_bodies

WORDS_PER_MINUTE = 100
CODE_LINES_PER_MINUTE = 4
MINUTES_PER_EXERCISE = 20
MINUTES_PER_QUESTION = 2
SOLUTION_TAG = "solution"
EXERCISE = re.compile(r"^\s*:{3,}\s*\{admonition\}\s+Exercise\b", re.M)
FENCED = re.compile(r"^(?P<fence>`{3,}|~{3,}).*?^(?P=fence)[ \t]*$", re.M | re.S)
# Directive options (":class: dropdown") and fence lines are markup, not prose.
MARKUP = re.compile(r"^\s*(:{3,}.*|:[\w-]+:.*)$", re.M)
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@dataclass(frozen=True)
class StudyTime:
    words: int
    code_lines: int
    exercises: int
    questions: int

    @property
    def reading(self) -> float:
        return self.words / WORDS_PER_MINUTE

    @property
    def code(self) -> float:
        return self.code_lines / CODE_LINES_PER_MINUTE

    @property
    def practice(self) -> float:
        return self.exercises * MINUTES_PER_EXERCISE + self.questions * MINUTES_PER_QUESTION

    @property
    def minutes(self) -> int:
        """The total, rounded to 5 minutes: finer would promise a precision it has not."""
        return max(5, 5 * round((self.reading + self.code + self.practice) / 5))

    def __add__(self, other: StudyTime) -> StudyTime:
        return StudyTime(
            self.words + other.words,
            self.code_lines + other.code_lines,
            self.exercises + other.exercises,
            self.questions + other.questions,
        )


def duration(minutes: float) -> str:
    """'2 h 35 min', '45 min', '3 h': how people say it."""
    whole = int(round(minutes))
    hours, rest = divmod(whole, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


def _quiz_questions(markdown: str) -> int:
    count = 0
    for body in quiz_bodies(markdown):
        try:
            count += len(parse_quiz(body).questions)
        except QuizError:
            continue  # the lint names it; a broken quiz adds no time
    return count


def estimate(notebook: NotebookNode) -> StudyTime:
    """Count a lecture's prose words, code lines, exercises and quiz questions."""
    words = code_lines = exercises = questions = 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            text = cell.source
            questions += _quiz_questions(text)
            exercises += len(EXERCISE.findall(text))
            prose = MARKUP.sub("", FENCED.sub("", text))
            words += len(WORD.findall(prose))
        elif cell.cell_type == "code" and SOLUTION_TAG not in cell.metadata.get("tags", []):
            code_lines += sum(1 for line in cell.source.splitlines() if line.strip())
    return StudyTime(words, code_lines, exercises, questions)
