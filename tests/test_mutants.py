"""Mutants of a solution cell (issue 17): small changes, inside solution regions only,
each a program that still compiles, named the same on every run."""

from __future__ import annotations

import ast

from autograder.authoring.audit import looks_equivalent
from autograder.authoring.mutants import OPERATORS, cell_mutants, sample, solution_lines

CELL = '''import numpy as np

def discounted_returns(rewards, gamma):
    """Return G_t for every step t."""
    ### BEGIN SOLUTION
    returns = np.zeros(len(rewards))
    total = 0.0
    for t in reversed(range(len(rewards))):
        total = rewards[t] + gamma * total
        returns[t] = total
    return returns
    ### END SOLUTION

def best(values, limit=3):
    ### BEGIN SOLUTION
    kept = [v for v in values[1:limit] if v > 0]
    while kept and kept[-1] >= 10:
        kept.pop()
    return max(kept) if kept else -1
    ### END SOLUTION
'''


def _changed_lines(before: str, after: str) -> set[int]:
    old, new = before.splitlines(), after.splitlines()
    if len(old) != len(new):  # an inserted line (an early return): where it went
        first = next(i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b)
        return {first + 1}
    return {i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b}


def test_every_kind_of_change_is_made() -> None:
    kinds = {m.operator for m in cell_mutants("nb.ipynb", "answer", CELL)}
    assert kinds == set(OPERATORS)


def test_only_lines_inside_solution_regions_change() -> None:
    region = solution_lines(CELL)
    mutants = cell_mutants("nb.ipynb", "answer", CELL)
    assert mutants
    for mutant in mutants:
        assert _changed_lines(CELL, mutant.after) <= region, mutant.diff()


def test_a_cell_without_a_solution_region_has_no_mutants() -> None:
    assert cell_mutants("nb.ipynb", "answer", "def f(x):\n    return x + 1\n") == []


def test_every_mutant_compiles_and_differs_from_the_solution() -> None:
    mutants = cell_mutants("nb.ipynb", "answer", CELL)
    assert len({m.after for m in mutants}) == len(mutants)
    for mutant in mutants:
        assert mutant.after != CELL
        ast.parse(mutant.after)


def test_the_changes_a_student_makes_are_among_them() -> None:
    """An off-by-one bound, an operator swapped, a boundary moved, a step left out."""
    afters = {m.after for m in cell_mutants("nb.ipynb", "answer", CELL)}
    expected = [
        CELL.replace("values[1:limit]", "values[1 + 1:limit]"),
        CELL.replace("values[1:limit]", "values[1:limit - 1]"),
        CELL.replace("total = rewards[t] + gamma * total", "total = (rewards[t] - gamma * total)"),
        CELL.replace("kept[-1] >= 10", "kept[-1] > 10"),
        CELL.replace("        returns[t] = total", "        pass"),
        CELL.replace("if v > 0]", "if not (v > 0)]"),
    ]
    for after in expected:
        assert after in afters, after


def test_an_early_return_skips_the_loop() -> None:
    early = [m for m in cell_mutants("nb.ipynb", "answer", CELL) if m.operator == "early-return"]
    assert any("    return returns\n    for t in reversed" in m.after for m in early), [
        m.diff() for m in early
    ]


def test_ids_survive_edits_elsewhere_in_the_cell() -> None:
    before = {m.id: m.what for m in cell_mutants("nb.ipynb", "answer", CELL)}
    edited = CELL.replace('"""Return G_t for every step t."""', '"""G_t.\n\n    More text."""')
    after = {m.id: m.what for m in cell_mutants("nb.ipynb", "answer", edited)}
    assert before == after


def test_the_same_change_on_two_identical_lines_has_two_ids() -> None:
    cell = "def f(x):\n    ### BEGIN SOLUTION\n    x = x + 1\n    x = x + 1\n    return x\n"
    cell += "    ### END SOLUTION\n"
    mutants = cell_mutants("nb.ipynb", "f", cell)
    assert len({m.id for m in mutants}) == len(mutants)


def test_a_sample_is_the_same_on_every_run_and_takes_every_kind() -> None:
    mutants = cell_mutants("nb.ipynb", "answer", CELL)
    first = sample(mutants, len(OPERATORS), "ml1/a1")
    assert [m.id for m in first] == [m.id for m in sample(mutants, len(OPERATORS), "ml1/a1")]
    assert {m.operator for m in first} == set(OPERATORS)
    assert len(sample(mutants, 3, "ml1/a1")) == 3


def test_only_a_changed_seed_is_guessed_to_be_a_seed() -> None:
    cell = (
        "def folds():\n    ### BEGIN SOLUTION\n"
        "    return KFold(n_splits=3, shuffle=True, random_state=0)\n    ### END SOLUTION\n"
    )
    guesses = {m.what: looks_equivalent(m) for m in cell_mutants("nb.ipynb", "folds", cell)}
    assert guesses["`0` -> `1`"] == "it changes a random seed"
    assert guesses["`3` -> `4`"] is None
