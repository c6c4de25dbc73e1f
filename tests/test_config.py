"""Course configs are validated once, with errors that name the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.course.config import load_all, load_course
from autograder.course.errors import ConfigError
from autograder.course.paths import Repo
from tests.factory import course_config, manual_config, write_config


def test_valid_config_loads_typed(repo: Path) -> None:
    course = load_course(Repo(repo), "demo")
    assert course.title.sv == "Demokurs"
    assert course.assignment("a1").max_score == 5
    assert course.assignment("a1").limits.cell_timeout == 5


def test_wrong_type_names_file_and_key(repo: Path) -> None:
    config = course_config()
    config["assignments"][0]["notebooks"][0]["points"]["test_add"] = "two"
    write_config(repo, config)
    with pytest.raises(ConfigError) as exc:
        load_course(Repo(repo), "demo")
    message = str(exc.value)
    assert "course_configs/demo.yml" in message
    assert "assignments[0](id=a1).notebooks[0].points.test_add" in message


def test_unknown_key_is_an_error(repo: Path) -> None:
    config = course_config()
    config["assignments"][0]["point"] = 3
    write_config(repo, config)
    with pytest.raises(ConfigError, match=r"assignments\[0\]\(id=a1\)\.point: Extra inputs"):
        load_course(Repo(repo), "demo")


def test_missing_lecture_file_is_named(repo: Path) -> None:
    write_config(repo, course_config(lectures=["demo/01-demo.md", "demo/02-missing.md"]))
    with pytest.raises(ConfigError, match=r"lectures\[1\]: book/demo/02-missing.md does not exist"):
        load_course(Repo(repo), "demo")


def test_missing_assignment_notebook_is_named(repo: Path) -> None:
    config = course_config()
    config["assignments"][0]["notebooks"][0]["file"] = "other.ipynb"
    write_config(repo, config)
    with pytest.raises(ConfigError, match=r"assignments/demo/source/a1/other.ipynb does not exist"):
        load_course(Repo(repo), "demo")


def test_id_must_match_file_name(repo: Path) -> None:
    write_config(repo, course_config(id="other"))
    with pytest.raises(ConfigError, match="does not match the file name 'demo'"):
        load_course(Repo(repo), "demo")


def test_cell_timeout_longer_than_notebook_timeout(repo: Path) -> None:
    config = course_config()
    config["assignments"][0]["limits"] = {"cell_timeout": 100, "notebook_timeout": 50}
    write_config(repo, config)
    with pytest.raises(ConfigError, match="cell_timeout .* is longer than notebook_timeout"):
        load_course(Repo(repo), "demo")


def test_due_date_needs_time_zone(repo: Path) -> None:
    config = course_config()
    config["assignments"][0]["due"] = "2027-01-01T12:00:00"
    write_config(repo, config)
    with pytest.raises(ConfigError, match="due: .*needs a time zone"):
        load_course(Repo(repo), "demo")


def test_invalid_yaml_is_reported(repo: Path) -> None:
    (repo / "course_configs" / "demo.yml").write_text("id: [unclosed\n")
    with pytest.raises(ConfigError, match="demo.yml: not valid YAML"):
        load_course(Repo(repo), "demo")


def test_unknown_course_lists_known_ones(repo: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown course 'nope'.*known: demo"):
        load_course(Repo(repo), "demo".replace("demo", "nope"))


def test_load_all_collects_every_problem(repo: Path) -> None:
    write_config(repo, course_config("second", lectures=["second/x.md"]), course_id="second")
    write_config(repo, course_config(description=""))
    with pytest.raises(ConfigError) as exc:
        load_all(Repo(repo))
    assert "demo.yml: description" in str(exc.value)
    assert "second.yml: lectures[0]" in str(exc.value)


def test_manual_points_count_towards_the_maximum(repo: Path) -> None:
    write_config(repo, manual_config())
    spec = load_course(Repo(repo), "demo").assignment("a1").notebooks[0]
    assert spec.manual == {"explain_add": 2, "task_review": 1}
    assert spec.max_score == 2 + 3 + 2 + 2 + 1


def test_grade_id_both_autograded_and_manual_is_an_error(repo: Path) -> None:
    config = manual_config()
    config["assignments"][0]["notebooks"][0]["manual"]["test_add"] = 2
    write_config(repo, config)
    with pytest.raises(ConfigError, match=r"notebooks\[0\]: test_add listed under both points"):
        load_course(Repo(repo), "demo")


def test_notebook_without_graded_cells_is_an_error(repo: Path) -> None:
    config = course_config()
    config["assignments"][0]["notebooks"][0] = {"file": "demo.ipynb"}
    write_config(repo, config)
    with pytest.raises(ConfigError, match=r"notebooks\[0\]: lists no graded cells"):
        load_course(Repo(repo), "demo")


def test_a_mutation_floor_above_one_is_named(repo: Path) -> None:
    config = course_config()
    config["assignments"][0]["mutation_score"] = 90
    write_config(repo, config)
    with pytest.raises(ConfigError, match=r"assignments\[0\]\(id=a1\)\.mutation_score"):
        load_course(Repo(repo), "demo")


def test_an_acknowledged_mutant_needs_an_id_as_audit_prints_it(repo: Path) -> None:
    config = course_config()
    config["assignments"][0]["equivalent_mutants"] = [{"id": "line 12", "reason": "same"}]
    write_config(repo, config)
    with pytest.raises(
        ConfigError, match=r"equivalent_mutants\[0\]\(id=line 12\)\.id: String should match"
    ):
        load_course(Repo(repo), "demo")


def test_a_teacher_must_be_a_system_user_name(repo: Path) -> None:
    write_config(repo, course_config(teachers=["Åsa Berg"]))
    with pytest.raises(ConfigError, match=r"teachers\[0\]: String should match pattern"):
        load_course(Repo(repo), "demo")


def test_hub_limits_are_read_and_bounded(repo: Path) -> None:
    write_config(repo, course_config(hub={"memory_mb": 4096, "cpus": 1.5}))
    assert load_course(Repo(repo), "demo").hub.cpus == 1.5
    write_config(repo, course_config(hub={"memory_mb": 100}))
    with pytest.raises(ConfigError, match=r"hub\.memory_mb: Input should be greater than or equal"):
        load_course(Repo(repo), "demo")
