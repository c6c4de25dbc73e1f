"""Counterexamples: `validate` grades the teacher's wrong and shortcut answers and fails
when one earns more than the config allows, naming it, the tests that paid and the points."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.authoring.counterexamples import read_answers
from autograder.course.config import load_course
from autograder.course.errors import ConfigError
from autograder.course.paths import Repo
from tests.conftest import Invoke
from tests.factory import course_config, write_config

pytestmark = pytest.mark.sandbox

# Correct for every input: a shortcut the tests cannot refuse (nothing of the skill is
# missing here, which is the point: its cap says it must earn nothing on test_add).
SHORTCUT = "# %% add\nimport operator\ndef add(a, b):\n    return operator.add(a, b)\n"
# Hard-coded to the visible test: the hidden test refuses it.
HARD_CODED = "# %% add\ndef add(a, b):\n    return 3\n"
BOTH_WRONG = (
    "# %% add\ndef add(a, b):\n    return a - b\n\n# %% mul\ndef mul(a, b):\n    return a + b\n"
)


def with_counterexamples(repo: Path, files: dict[str, str], entries: list[dict]) -> None:
    folder = repo / "assignments/demo/counterexamples/a1"
    folder.mkdir(parents=True, exist_ok=True)
    for name, code in files.items():
        (folder / f"{name}.py").write_text(code, encoding="utf-8")
    config = course_config()
    config["assignments"][0]["counterexamples"] = entries
    write_config(repo, config)


def test_a_counterexample_over_its_cap_fails_validate(repo: Path, cli: Invoke) -> None:
    with_counterexamples(
        repo,
        {"operator-add": SHORTCUT},
        [{"name": "operator-add", "reason": "uses operator.add", "caps": {"test_add": 0}}],
    )
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 1, result.output
    assert "counterexample 'operator-add' (uses operator.add) earns 2 on test_add (cap 0)" in (
        result.output
    )
    assert "test_add paid 2" in result.output


def test_counterexamples_within_their_caps_pass(repo: Path, cli: Invoke) -> None:
    with_counterexamples(
        repo,
        {"hard-coded": HARD_CODED, "both-wrong": BOTH_WRONG},
        [
            {
                "name": "hard-coded",
                "reason": "answers the visible test only",
                "caps": {"test_add": 0},
            },
            {"name": "both-wrong", "reason": "subtracts and adds", "max_points": 0},
        ],
    )
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 0, result.output


def test_a_total_cap_counts_every_test(repo: Path, cli: Invoke) -> None:
    """The unnamed answer keeps the teacher's solution, and its test pays: 3 over a cap of 2."""
    with_counterexamples(
        repo,
        {"hard-coded": HARD_CODED},
        [{"name": "hard-coded", "reason": "answers the visible test only", "max_points": 2}],
    )
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 1
    assert "earns 3 points in all (cap 2): test_mul paid 3" in result.output


def test_a_missing_counterexample_file_is_named(repo: Path, cli: Invoke) -> None:
    with_counterexamples(repo, {}, [{"name": "ghost", "reason": "missing", "max_points": 0}])
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 1
    assert "counterexamples/a1/ghost.py: counterexample file not found" in result.output


def test_a_section_naming_no_answer_cell_is_refused(repo: Path, cli: Invoke) -> None:
    with_counterexamples(
        repo,
        {"wrong-cell": "# %% test_add\nassert True\n"},
        [{"name": "wrong-cell", "reason": "edits a test", "max_points": 0}],
    )
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 1
    assert "'test_add' is not an answer cell of the notebook" in result.output


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"name": "x", "reason": "no cap"}, "has no cap"),
        ({"name": "x", "reason": "bad", "caps": {"test_nope": 0}}, "test_nope"),
        ({"name": "x", "reason": "two\nlines", "max_points": 0}, "reason"),
    ],
)
def test_a_wrong_counterexample_entry_is_a_config_error(
    repo: Path, entry: dict, expected: str
) -> None:
    with_counterexamples(repo, {}, [entry])
    with pytest.raises(ConfigError, match=expected):
        load_course(Repo(repo), "demo")


def test_an_unlisted_counterexample_is_named_not_graded(repo: Path, cli: Invoke) -> None:
    """A mistake the tests do not refuse yet is kept beside the others, and validate says so."""
    with_counterexamples(
        repo,
        {"someday": "# NOT HELD YET: correct for every input.\n" + SHORTCUT},
        [],
    )
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 0, result.output
    assert "counterexamples/a1/someday.py is not in the config, so not graded" in result.output


def test_comments_may_come_before_the_first_section(tmp_path: Path) -> None:
    path = tmp_path / "cx.py"
    path.write_text("# why it is wrong\n\n" + HARD_CODED, encoding="utf-8")
    assert read_answers(path) == {"add": "def add(a, b):\n    return 3"}
    path.write_text("x = 1\n" + HARD_CODED, encoding="utf-8")
    with pytest.raises(ConfigError, match="code before the first"):
        read_answers(path)
