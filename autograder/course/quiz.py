"""Self-assessment quizzes that end each lecture.

A quiz is written in the lecture's Markdown as a ```` ```{quiz} ```` fence whose body is
YAML, so that a reviewer reads each question, its keyed answer and every explanation side
by side in a diff. This module is the one reader of that body: the book renders what it
returns and the lecture lint reports what it raises, so a quiz that builds is a quiz that
passed the checks (one keyed answer per question, an explanation for every answer).

The answers ship inside the page: the quiz is for the student's own check, offline and
without a server, not for marks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

MIN_QUESTIONS, MAX_QUESTIONS = 4, 6
MIN_CHOICES, MAX_CHOICES = 2, 6
# A ```{quiz} fence (three or more backticks), up to the closing fence of the same length.
FENCE = re.compile(r"^(?P<fence>`{3,})\{quiz\}[ \t]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
CHOICE_KEYS = {"question", "choices"}
NUMERIC_KEYS = {"question", "numeric", "tolerance", "why", "unit"}
ANSWER_KEYS = {"answer", "correct", "why"}
# "\\gamma" after YAML has read it: a LaTeX command written with its backslash escaped in
# text YAML does not unescape (unquoted), a slip that typesets as a line break and "gamma".
DOUBLED_BACKSLASH = re.compile(r"\\\\[A-Za-z]+")


class QuizError(ValueError):
    """A quiz that cannot be shown as written; the message says which question and why."""


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class ChoiceQuestion:
    text: str
    choices: tuple[Choice, ...]

    @property
    def keyed(self) -> Choice:
        return next(choice for choice in self.choices if choice.correct)


@dataclass(frozen=True)
class NumericQuestion:
    text: str
    answer: float
    tolerance: float
    why: str
    unit: str = ""

    def accepts(self, value: float) -> bool:
        # A relative hair of slack, so that 0.1 + 0.2 typed as 0.3 is not refused.
        slack = self.tolerance + 1e-9 * max(1.0, abs(self.answer))
        return abs(value - self.answer) <= slack


Question = ChoiceQuestion | NumericQuestion


@dataclass(frozen=True)
class Quiz:
    questions: tuple[Question, ...]


def quiz_bodies(markdown: str) -> list[str]:
    """The YAML bodies of the quiz fences in a Markdown text, in order."""
    return [match.group("body") for match in FENCE.finditer(markdown)]


def _text(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise QuizError(f"{what} should be text, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise QuizError(f"{what} is empty")
    doubled = DOUBLED_BACKSLASH.search(text)
    if doubled:
        raise QuizError(
            f"{what} has {doubled.group(0)!r}, a doubled backslash that shows in the maths: "
            "write one backslash in unquoted text, two only inside double quotes"
        )
    return text


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QuizError(f"{what} should be a number, got {value!r}")
    if not math.isfinite(value):
        raise QuizError(f"{what} should be a finite number, got {value!r}")
    return float(value)


def _unknown(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(entry) - allowed)
    if extra:
        raise QuizError(
            f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})"
        )


def _choice(entry: Any, where: str) -> Choice:
    if not isinstance(entry, dict):
        raise QuizError(f"{where} should be a mapping with answer, why and (for one) correct: true")
    _unknown(entry, ANSWER_KEYS, where)
    correct = entry.get("correct", False)
    if not isinstance(correct, bool):
        raise QuizError(f"{where}: correct should be true or false, got {correct!r}")
    return Choice(
        _text(entry.get("answer"), f"{where}'s answer"),
        correct,
        _text(entry.get("why"), f"{where}'s explanation (why)"),
    )


def _question(entry: Any, number: int) -> Question:
    where = f"question {number}"
    if not isinstance(entry, dict):
        raise QuizError(f"{where} should be a mapping with a 'question' key")
    text = _text(entry.get("question"), f"{where}'s text")
    if "choices" in entry and "numeric" in entry:
        raise QuizError(f"{where} has both choices and a numeric answer; give one")
    if "choices" in entry:
        _unknown(entry, CHOICE_KEYS, where)
        raw = entry["choices"]
        if not isinstance(raw, list) or not MIN_CHOICES <= len(raw) <= MAX_CHOICES:
            raise QuizError(f"{where} should have {MIN_CHOICES} to {MAX_CHOICES} choices")
        choices = tuple(_choice(item, f"{where}, choice {i}") for i, item in enumerate(raw, 1))
        keyed = [i for i, choice in enumerate(choices, 1) if choice.correct]
        if len(keyed) != 1:
            found = "none" if not keyed else "choices " + ", ".join(map(str, keyed))
            raise QuizError(f"{where} should key exactly one choice as correct, found {found}")
        texts = [choice.text for choice in choices]
        if len(set(texts)) != len(texts):
            raise QuizError(f"{where} offers the same answer twice")
        return ChoiceQuestion(text, choices)
    if "numeric" in entry:
        _unknown(entry, NUMERIC_KEYS, where)
        tolerance = _number(entry.get("tolerance"), f"{where}'s tolerance")
        if tolerance < 0:
            raise QuizError(f"{where}'s tolerance should be 0 or more, got {tolerance}")
        unit = entry.get("unit", "")
        return NumericQuestion(
            text,
            _number(entry["numeric"], f"{where}'s numeric answer"),
            tolerance,
            _text(entry.get("why"), f"{where}'s explanation (why)"),
            _text(unit, f"{where}'s unit") if unit != "" else "",
        )
    raise QuizError(f"{where} needs either choices or a numeric answer")


def parse_quiz(body: str) -> Quiz:
    """The quiz a fence's YAML body describes; QuizError names the first problem."""
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1} of the quiz" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise QuizError(
            f"the quiz is not valid YAML{line}: {problem} (quote text that holds a colon)"
        ) from None
    if not isinstance(data, list):
        raise QuizError("the quiz should be a YAML list of questions ('- question: ...')")
    if not MIN_QUESTIONS <= len(data) <= MAX_QUESTIONS:
        raise QuizError(
            f"the quiz has {len(data)} questions; a lecture's quiz has "
            f"{MIN_QUESTIONS} to {MAX_QUESTIONS}"
        )
    return Quiz(tuple(_question(entry, number) for number, entry in enumerate(data, 1)))
