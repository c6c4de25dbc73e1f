"""The student's copy of a lecture (the book's download, the hub's copy): Markdown that
JupyterLab shows well, and no quiz answers."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

from autograder.course.lecture_notebook import QUIZ_NOTE, plain_markdown, student_notebook

BOOK = Path(__file__).resolve().parents[1] / "book"
LECTURES = sorted(p for p in BOOK.glob("*/[0-9]*.md"))


def test_a_box_becomes_its_bold_title_over_its_text() -> None:
    source = "Before.\n\n::::{admonition} Solution\n:class: dropdown\nThey add up to 14.\n::::"
    assert plain_markdown(source) == "Before.\n\n**Solution**\nThey add up to 14."


def test_the_quiz_becomes_a_pointer_to_the_book_and_study_time_goes() -> None:
    source = (
        "## Check\n\n```{study-time}\n```\n\n```{quiz}\n- question: Why?\n  choices:\n"
        "    - answer: 'Yes'\n      correct: true\n      why: Because.\n```\n"
    )
    text = plain_markdown(source)
    assert QUIZ_NOTE in text and "correct" not in text and "study-time" not in text


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_lecture_copy_shows_a_directive_or_an_answer(lecture: Path) -> None:
    copy = student_notebook(lecture)
    markdown = "\n".join(c.source for c in copy.cells if c.cell_type == "markdown")
    assert "correct: true" not in markdown
    assert not re.search(r"^\s+why:", markdown, re.MULTILINE)  # a quiz choice's explanation
    assert ":::" not in markdown and "{admonition}" not in markdown
    assert QUIZ_NOTE in markdown
    source = jupytext.read(lecture)
    code = [c.source for c in source.cells if c.cell_type == "code"]
    assert [c.source for c in copy.cells if c.cell_type == "code"] == code
