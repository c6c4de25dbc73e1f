"""The grader's reading of the guard's answer, which the notebook can forge (issue 14).

The answer is student text: it is parsed as bounded JSON, never evaluated, and anything
that cannot be the guard's own answer counts as tampering with the guard.
"""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest

from autograder.runtime.guard import ANSWER_LIMIT, MALFORMED, Guard


def reply(text: object, status: str = "ok") -> dict[str, Any]:
    """An execute_reply whose guard expression printed `text`."""
    result = {"status": status, "data": {"text/plain": text}, "metadata": {}}
    return {"content": {"status": "ok", "user_expressions": {"guard": result}}}


def findings(answer: dict[str, Any]) -> list[str]:
    guard = Guard()
    guard.record(answer)
    return guard.findings


def test_the_guards_own_answer_is_read() -> None:
    assert findings(reply('["math.isclose", "builtins.print"]')) == [
        "math.isclose",
        "builtins.print",
    ]
    assert findings(reply("[]")) == []


@pytest.mark.parametrize(
    "text",
    [
        "'[\"math.isclose\"]'",  # a Python literal (what used to be evaluated) is not JSON
        "__import__('os').system('true')",
        '{"a": 1}',
        "[1, 2]",
        '[""]',
        '["x' + "y" * 2000 + '"]',
        json.dumps(["x"] * 5000),
        "[" * 20_000 + "]" * 20_000,  # within the size limit, deeper than json can go
        None,
        ["a list", "not text"],
    ],
)
def test_an_answer_the_guard_cannot_have_given_is_tampering(text: object) -> None:
    assert findings(reply(text)) == [MALFORMED]


def test_an_answer_over_the_limit_is_not_parsed_even_if_it_is_a_list() -> None:
    text = json.dumps(["math.isclose"] * (ANSWER_LIMIT // 10))
    assert len(text) > ANSWER_LIMIT
    assert findings(reply(text)) == [MALFORMED]


def test_a_huge_literal_costs_no_memory() -> None:
    """ast.literal_eval of such an answer (6 MB) took over 3 GiB on a grading host."""
    text = "[" + "0," * 300_000 + "0]"
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        assert findings(reply(text)) == [MALFORMED]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"content": "not a dict"},
        {"content": {"user_expressions": {"guard": "not a dict"}}},
        reply('["x"]', status="error"),
    ],
)
def test_no_answer_or_a_broken_guard_is_tampering(answer: dict[str, Any]) -> None:
    assert findings(answer) == ["the grader's guard (it was removed or broken)"]


def test_an_answer_refused_for_its_size_is_tampering() -> None:
    """The kernel client dropped it unread and stood in with an OutputTooLarge error."""
    refused = {"content": {"status": "error", "ename": "OutputTooLarge", "user_expressions": {}}}
    assert findings(refused) == [MALFORMED]
