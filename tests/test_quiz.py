"""The lecture quiz's reader: what a quiz must hold, and the errors a teacher gets."""

from __future__ import annotations

import pytest
import yaml

from autograder.course.quiz import (
    ChoiceQuestion,
    NumericQuestion,
    QuizError,
    parse_quiz,
    quiz_bodies,
)


def choice(text: str = "Which?", keyed: int = 0, n: int = 3) -> dict:
    return {
        "question": text,
        "choices": [
            {"answer": f"option {i}", "why": f"because {i}", "correct": i == keyed}
            for i in range(n)
        ],
    }


def numeric(answer: float = 800, tolerance: float = 0) -> dict:
    return {"question": "How many?", "numeric": answer, "tolerance": tolerance, "why": "4 x 200."}


def body(questions: list[dict]) -> str:
    return yaml.safe_dump(questions, sort_keys=False)


def test_a_valid_quiz_is_read_with_its_keyed_answers() -> None:
    quiz = parse_quiz(body([choice(keyed=2), numeric(), choice(), numeric(3.14, 0.01)]))
    first, second = quiz.questions[0], quiz.questions[1]
    assert isinstance(first, ChoiceQuestion) and first.keyed.text == "option 2"
    assert [c.why for c in first.choices] == ["because 0", "because 1", "because 2"]
    assert isinstance(second, NumericQuestion) and second.answer == 800.0


@pytest.mark.parametrize("count", [3, 7])
def test_a_quiz_has_four_to_six_questions(count: int) -> None:
    with pytest.raises(QuizError, match=f"has {count} questions"):
        parse_quiz(body([numeric()] * count))


@pytest.mark.parametrize("keyed", [None, "both"])
def test_a_choice_question_keys_exactly_one_answer(keyed: str | None) -> None:
    question = choice(keyed=-1)
    if keyed == "both":
        question["choices"][0]["correct"] = question["choices"][1]["correct"] = True
    with pytest.raises(QuizError, match="question 2 should key exactly one choice"):
        parse_quiz(body([numeric(), question, numeric(), numeric()]))


def test_every_answer_needs_its_explanation() -> None:
    question = choice()
    del question["choices"][1]["why"]
    with pytest.raises(QuizError, match=r"question 1, choice 2's explanation \(why\) should be"):
        parse_quiz(body([question, numeric(), numeric(), numeric()]))


def test_a_numeric_question_needs_its_explanation() -> None:
    question = numeric()
    question["why"] = "  "
    with pytest.raises(QuizError, match="question 4's explanation"):
        parse_quiz(body([numeric(), numeric(), numeric(), question]))


def test_a_misspelt_key_is_named_not_ignored() -> None:
    question = numeric()
    question["explanation"] = question.pop("why")
    with pytest.raises(QuizError, match="unknown key.*explanation"):
        parse_quiz(body([question, numeric(), numeric(), numeric()]))


def test_a_negative_tolerance_is_refused() -> None:
    with pytest.raises(QuizError, match="tolerance should be 0 or more"):
        parse_quiz(body([numeric(tolerance=-1), numeric(), numeric(), numeric()]))


def test_the_same_answer_offered_twice_is_refused() -> None:
    question = choice()
    question["choices"][2]["answer"] = "option 1"
    with pytest.raises(QuizError, match="same answer twice"):
        parse_quiz(body([question, numeric(), numeric(), numeric()]))


def test_broken_yaml_names_the_line_and_the_usual_cause() -> None:
    text = "- question: ok\n  numeric: 1\n  tolerance: 0\n  why: a: b\n"
    with pytest.raises(QuizError, match="not valid YAML at line 4.*colon"):
        parse_quiz(text)


def test_a_numeric_answer_within_its_tolerance_is_accepted() -> None:
    question = NumericQuestion("?", 0.3, 0.0, "why")
    assert question.accepts(0.1 + 0.2)
    assert not question.accepts(0.31)
    assert NumericQuestion("?", 3.14, 0.01, "why").accepts(3.149)


def test_quiz_fences_are_found_in_markdown() -> None:
    text = "# T\n\n```{quiz}\n- a\n```\n\n````{quiz}\n- b\n```\n- c\n````\n"
    assert quiz_bodies(text) == ["- a\n", "- b\n```\n- c\n"]


def test_a_doubled_backslash_in_unquoted_maths_is_caught() -> None:
    good = "- question: What is $\\gamma$?\n  numeric: 1\n  tolerance: 0\n  why: w\n"
    assert parse_quiz(good * 4).questions[0].text == "What is $\\gamma$?"
    with pytest.raises(QuizError, match="doubled backslash"):
        parse_quiz(good.replace("\\gamma", "\\\\gamma") * 4)
    quoted = '- question: "What is $\\\\gamma$?"\n  numeric: 1\n  tolerance: 0\n  why: w\n'
    assert parse_quiz(quoted * 4).questions[0].text == "What is $\\gamma$?"
