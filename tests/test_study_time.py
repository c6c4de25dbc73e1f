"""A lecture's study time is counted from the lecture itself."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.course.study_time import StudyTime, duration, estimate

QUIZ = "```{quiz}\n" + "".join(
    f"- question: q{i}\n  numeric: 1\n  tolerance: 0\n  why: w\n" for i in range(5)
) + "```\n"


def lecture() -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_markdown_cell("# Title\n\n" + "word " * 300),
            new_code_cell("x = 1\n\n# a comment\nprint(x)\n"),
            new_markdown_cell(":::{admonition} Exercise 1\nDo it.\n:::"),
            new_code_cell("print('the solution')\n", metadata={"tags": ["solution"]}),
            new_markdown_cell("::::{admonition} Solution\n:class: dropdown\nIt works.\n::::"),
            new_markdown_cell(":::{admonition} Exercise 2\nAgain.\n:::\n\n" + QUIZ),
        ]
    )


def test_words_code_exercises_and_questions_are_counted() -> None:
    time = estimate(lecture())
    assert time.code_lines == 3  # blank lines not counted; the solution's code is the exercise's
    assert time.exercises == 2
    assert time.questions == 5
    # 300 words and the headings' few; the quiz's YAML and the markup are not prose
    assert 300 < time.words < 320


def test_the_total_follows_the_stated_rates_rounded_to_five_minutes() -> None:
    time = StudyTime(words=2500, code_lines=140, exercises=3, questions=5)
    # 25 min reading + 35 min code + 60 min exercises + 10 min quiz
    assert time.minutes == 130
    assert duration(time.minutes) == "2 h 10 min"


def test_a_longer_lecture_takes_longer() -> None:
    short = estimate(lecture())
    notebook = lecture()
    notebook.cells.append(new_code_cell("\n".join(f"y{i} = {i}" for i in range(80))))
    assert estimate(notebook).minutes > short.minutes


def test_durations_read_as_people_say_them() -> None:
    assert [duration(m) for m in (45, 60, 155)] == ["45 min", "1 h", "2 h 35 min"]
