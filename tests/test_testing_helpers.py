"""autograder.testing (issue 17): an answer built to pass every comparison fails at its
type, before any value is compared; a plain answer is judged on its values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from autograder.testing import expect_array, expect_close, expect_number, expect_type
from tests.conftest import Invoke
from tests.factory import answered

REFERENCE = np.array([[0.5, 1.0], [1.5, 2.0]])


class AgreesWithEverything(np.ndarray):
    """An array whose comparisons all come out the way a test wants."""

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        return np.ones(np.shape(other), dtype=bool)

    def __sub__(self, other: object) -> Any:  # type: ignore[override]
        return np.zeros(np.shape(other))


class LooksLikeTheReference:
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return REFERENCE


class EqualToAnything(float):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize(
    "fooling",
    [np.zeros((2, 2)).view(AgreesWithEverything), LooksLikeTheReference(), REFERENCE.tolist()],
)
def test_an_answer_that_is_not_exactly_an_array_fails_before_its_values(fooling: Any) -> None:
    with pytest.raises(AssertionError, match="should be a ndarray"):
        expect_close(fooling, REFERENCE, name="V")


def test_a_number_that_equals_anything_is_refused() -> None:
    with pytest.raises(AssertionError, match="should be a number"):
        expect_close(EqualToAnything(3.0), 7.0)


def test_a_bool_is_not_a_number() -> None:
    with pytest.raises(AssertionError, match="should be a number"):
        expect_number(True)


def test_shape_and_dtype_are_checked_before_values() -> None:
    with pytest.raises(AssertionError, match=r"shape \(any, 3\), got \(2, 2\)"):
        expect_array(REFERENCE, (None, 3))
    with pytest.raises(AssertionError, match="should hold integers, got dtype float64"):
        expect_array(REFERENCE, (2, 2), "i")
    with pytest.raises(AssertionError, match="no NaN"):
        expect_array(np.array([1.0, np.nan]), (2,), "f")


def test_a_plain_answer_is_judged_on_its_values() -> None:
    expect_close(REFERENCE + 1e-9, REFERENCE, rtol=1e-6)
    expect_close(np.float64(2.0), 2.0)
    with pytest.raises(AssertionError, match="in 1 of 4 entries"):
        expect_close(REFERENCE + np.array([[0, 0], [0, 0.1]]), REFERENCE, rtol=1e-6)


def test_an_exact_type_is_required() -> None:
    assert expect_type([1, 2], list) == [1, 2]
    with pytest.raises(AssertionError, match="should be a list or tuple, got str"):
        expect_type("12", (list, tuple), "the path")


@pytest.mark.sandbox
def test_a_test_cell_imports_the_helpers_where_grading_runs_it(repo: Path, cli: Invoke) -> None:
    """The trusted kernel runs in a sandbox that mounts no checkout of the toolkit: the
    helpers reach it all the same, and judge the answers they are given."""
    path = repo / "assignments/demo/source/a1/demo.ipynb"
    notebook = nbformat.read(path, as_version=4)
    test = next(c for c in notebook.cells if c.metadata["nbgrader"]["grade_id"] == "test_add")
    helpers = (
        "from autograder.testing import expect_number\n"
        'assert expect_number(add(1, 2), "add(1, 2)") == 3\n'
    )
    nbformat.write(answered(notebook, {"test_add": helpers + test.source}), path)
    result = cli("validate", "demo", "--no-lectures")
    assert result.exit_code == 0, result.output
