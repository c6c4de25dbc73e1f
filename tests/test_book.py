"""`autograder build` on a small repository: the book the students see, built offline.

One build (module scope) and one unchanged rebuild; each test checks one promise.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.course.notebooks import HIDDEN_MARKERS, SOLUTION_MARKERS
from tests.conftest import invoker
from tests.factory import make_manual_repo, make_repo

# slow: the book is built once for the module, some 20 s, in whichever test comes first.
pytestmark = [pytest.mark.content, pytest.mark.slow]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("book") / "repo")
    cli = invoker(root)
    first = cli("build")
    assert first.exit_code == 0, first.output
    second = cli("build")
    assert second.exit_code == 0, second.output
    return root


def html(built: Path, page: str) -> str:
    return (built / "book/_build/html" / page).read_text(encoding="utf-8")


def test_toc_is_generated_from_the_configs(built: Path) -> None:
    toc = yaml.safe_load((built / "book/_toc.yml").read_text())
    part = toc["parts"][0]
    assert part["caption"] == "Demo course"
    files = [s["file"] for s in part["chapters"][0]["sections"]]
    assert files == ["demo/01-demo", "_generated/demo/assignments"]


def test_landing_page_presents_the_course(built: Path) -> None:
    page = html(built, "index.html")
    assert "Demo course" in page and "Demokurs" in page
    assert 'href="demo/index.html"' in page


def test_maths_is_served_locally(built: Path) -> None:
    page = html(built, "demo/01-demo.html")
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert "../_static/mathjax/tex-chtml.js" in scripts
    assert not [s for s in scripts if s.startswith(("http:", "https:", "//"))]
    assert (built / "book/_build/html/_static/mathjax/tex-chtml.js").is_file()
    fonts = built / "book/_build/html/_static/mathjax/output/chtml/fonts/woff-v2"
    assert any(fonts.glob("*.woff"))


def test_lecture_is_executed_and_downloadable(built: Path) -> None:
    page = html(built, "demo/01-demo.html")
    assert "45" in page  # the output of print(sum(range(10)))
    assert 'href="../_sources/demo/01-demo.ipynb"' in page
    notebook = nbformat.read(built / "book/_build/html/_sources/demo/01-demo.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"


def test_released_assignment_is_downloadable_without_solutions(built: Path) -> None:
    page = html(built, "_generated/demo/assignments.html")
    links = re.findall(r'href="(\.\./\.\./_downloads/[^"]+demo\.ipynb)"', page)
    assert links, "no download link for demo.ipynb"
    target = (built / "book/_build/html/_generated/demo" / links[0]).resolve()
    notebook = nbformat.read(target, as_version=4)
    nbformat.validate(notebook)
    text = target.read_text()
    assert not any(m in text for m in SOLUTION_MARKERS + HIDDEN_MARKERS)


def test_unchanged_rebuild_executes_nothing(built: Path) -> None:
    runs = (built / "book/demo/runs.log").read_text().splitlines()
    assert runs == ["ran"]


def test_assignment_page_says_which_points_a_person_grades(tmp_path: Path) -> None:
    root = make_manual_repo(tmp_path / "repo")
    assert invoker(root)("build", "--skip-book").exit_code == 0
    page = (root / "book/_generated/demo/assignments.md").read_text()
    assert "Points: 10, 3 of them for written work graded by your teacher" in page


def test_the_downloaded_notebook_keeps_exercise_solutions_folded(built: Path) -> None:
    notebook = nbformat.read(built / "book/_build/html/_sources/demo/01-demo.ipynb", as_version=4)
    folded = [c for c in notebook.cells if c.metadata.get("jupyter", {}).get("source_hidden")]
    assert [c.metadata.tags for c in folded] == [["solution"]]
    assert folded[0].metadata.jupyter.outputs_hidden


def test_the_lecture_states_its_study_time_and_ends_with_its_quiz(built: Path) -> None:
    page = html(built, "demo/01-demo.html")
    assert re.search(r"Study time</p>\s*<p>About \d+ (h|min)", page)
    quiz = page[page.index('class="ag-quiz"') :]
    assert quiz.count('class="ag-q"') == 4
    assert 'src="../_static/ag-quiz.js' in page
    assert (built / "book/_build/html/_static/ag-quiz.js").is_file()


def test_a_lecture_page_has_a_button_that_opens_it_on_the_hub(built: Path) -> None:
    route = "http://localhost:8000/hub/user-redirect/autograder/lectures/demo/01-demo"
    assert f'href="{route}"' in html(built, "demo/01-demo.html")
    assert "user-redirect/autograder/lectures" not in html(built, "demo/index.html")
