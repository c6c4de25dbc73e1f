"""The lecture lint: study time, the closing quiz and executed solutions."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.authoring.lecture_lint import lint_lecture
from tests.factory import LECTURE

SOLUTION_CELL = (
    "```{code-cell} ipython3\n:tags: [solution]\n\n"
    'print("squares", sum(k * k for k in range(1, 4)))\n```\n'
)


def lint(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "01-demo.md"
    path.write_text(text)
    return lint_lecture(path, "book/demo/01-demo.md")


def test_the_factory_lecture_meets_the_contract(tmp_path: Path) -> None:
    assert lint(tmp_path, LECTURE) == []


def test_a_python_listing_in_markdown_is_code_that_never_runs(tmp_path: Path) -> None:
    text = LECTURE.replace("The squares add up to 14.", "```python\nprint(14)\n```\n")
    [problem] = lint(tmp_path, text)
    assert "Markdown cell" in problem and "Python listing" in problem and "never runs" in problem


def test_a_solution_cell_needs_its_solution_box_next(tmp_path: Path) -> None:
    text = LECTURE.replace(SOLUTION_CELL, SOLUTION_CELL + "\nSome text between.\n")
    assert SOLUTION_CELL in LECTURE
    [problem] = lint(tmp_path, text)
    assert "solution code cell" in problem and "not followed by its Solution box" in problem


def test_the_study_time_box_is_required(tmp_path: Path) -> None:
    [problem] = lint(tmp_path, LECTURE.replace("```{study-time}\n```\n", ""))
    assert "no study-time box" in problem


def test_the_lecture_ends_with_one_quiz(tmp_path: Path) -> None:
    head, quiz = LECTURE.split("## Check your understanding")
    [problem] = lint(tmp_path, head)
    assert "0 quizzes" in problem
    moved = head.replace("## Takeaways", "## Quiz\n" + quiz + "\n## Takeaways")
    assert any("comes before the takeaways" in p for p in lint(tmp_path, moved))
    followed = LECTURE + "\n## Further reading\n\nA book.\n"
    assert any("a section follows the quiz" in p for p in lint(tmp_path, followed))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("      correct: true\n", ""), "question 2 should key exactly one choice"),
        (("  why: The numbers 0 to 9 add up to 45.\n", ""), "question 1's explanation"),
    ],
)
def test_a_quiz_problem_is_named_with_the_lecture(tmp_path: Path, change, expected: str) -> None:
    assert change[0] in LECTURE
    [problem] = lint(tmp_path, LECTURE.replace(*change, 1))
    assert problem.startswith("book/demo/01-demo.md: quiz:") and expected in problem


def test_a_glued_numpy_number_is_named_because_the_page_cannot_format_it() -> None:
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from autograder.authoring.lecture_lint import output_problems

    prefix = "application/papermill.record/"

    def glued(name: str, text: str) -> dict:
        meta = {"scrapbook": {"name": name, "mime_prefix": prefix}}
        return new_output("display_data", data={prefix + "text/plain": text}, metadata=meta)

    cell = new_code_cell("glue(...)")
    cell.outputs = [glued("numpy", "np.float64(0.93)"), glued("plain", "0.93"), glued("s", "'a'")]
    [problem] = output_problems(new_notebook(cells=[cell]), "book/x.md")
    assert "glues 'numpy' as 'np.float64(0.93)'" in problem and "float(x)" in problem
