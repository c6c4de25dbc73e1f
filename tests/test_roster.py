"""`autograder roster import`: the class list as Moodle and Canvas export it."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.delivery.roster import RosterError, parse_roster, read_roster, safe_username
from autograder.nbgrader.db import gradebook
from tests.conftest import Invoke

MOODLE = (
    "First name,Last name,Username,ID number,Email address\n"
    "Åsa,Öberg,asa.oberg,19880101,asa.oberg@example.se\n"
    "Björn,Lindqvist,bjorn.l,19790202,bjorn@example.se\n"
)
CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Assignment 1 (123)\n"
    "    Points Possible,,,,,10\n"
    '"Nilsson, Karin",4411,S1001,karin.nilsson,AI intro,8\n'
    "Test Student,4499,,,AI intro,0\n"
)


def test_a_moodle_export_keeps_swedish_names_and_the_logins() -> None:
    roster = parse_roster(MOODLE, "moodle.csv")
    assert [(s.username, s.display_name) for s in roster.students] == [
        ("asa.oberg", "Åsa Öberg"),
        ("bjorn.l", "Björn Lindqvist"),
    ]
    assert roster.students[0].email == "asa.oberg@example.se"
    assert roster.students[0].student_id == "19880101"


def test_a_canvas_export_skips_its_points_row_and_the_test_student() -> None:
    [student] = parse_roster(CANVAS, "canvas.csv").students
    assert student.username == "karin.nilsson"
    assert student.display_name == "Nilsson, Karin"
    assert student.student_id == "S1001"


def test_without_a_login_column_the_email_names_the_user() -> None:
    text = "First name,Last name,Email address\nLi,Wei,li.wei@example.com\n"
    assert parse_roster(text, "x.csv").students[0].username == "li.wei"


def test_a_swedish_excel_file_semicolons_and_windows_1252_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("Förnamn;Efternamn;Användarnamn\nÅsa;Öberg;åsa\n".encode("cp1252"))
    roster = read_roster(path)
    assert (roster.students[0].username, roster.students[0].display_name) == ("asa", "Åsa Öberg")
    assert roster.renamed == ((2, "åsa", "asa"),)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("Åsa.Öberg", "asa.oberg"),
        ("Jürgen Groß", "jurgen.gross"),
        ("1st-user", "st-user"),
        ("øre", "ore"),
    ],
)
def test_logins_become_safe_system_user_names(raw: str, safe: str) -> None:
    assert safe_username(raw) == safe


def test_every_bad_line_is_named_and_nothing_is_imported() -> None:
    text = (
        "First name,Last name,Username,Email address\n"
        "Anna,Berg,anna,anna@example.se\n"
        "Anna,Bergström,Anna,anna.b@example.se\n"  # the same login once made safe
        "Bo,Ek,,not-an-address\n"
        "Cy,Fa,,\n"
        "Di,Gu,日本,di@example.se\n"
    )
    with pytest.raises(RosterError) as caught:
        parse_roster(text, "class.csv")
    message = str(caught.value)
    assert "4 line(s) cannot be used; nothing was imported" in message
    assert "class.csv, line 3: login 'Anna' is 'anna', already on line 2" in message
    assert "class.csv, line 4: 'not-an-address' is not an e-mail address" in message
    assert "class.csv, line 5: no login and no e-mail address (Cy Fa)" in message
    assert "class.csv, line 6: login '日本' has no letter a system user name can use" in message


def test_a_file_without_a_login_or_email_column_says_which_columns_it_needs() -> None:
    with pytest.raises(RosterError, match="no column names the students' logins.*Username"):
        parse_roster("Name,Group\nAnna,A\n", "x.csv")


def test_import_puts_the_students_in_the_gradebook(repo: Path, cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "moodle.csv").write_text(MOODLE)
    result = cli("roster", "import", "demo", str(tmp_path / "moodle.csv"))
    assert result.exit_code == 0, result.output
    assert "2 students on the roster (2 new, 0 already known)" in result.output
    with gradebook(f"sqlite:///{repo / 'assignments/demo/gradebook.db'}", "demo") as gb:
        student = gb.find_student("asa.oberg")
        assert (student.first_name, student.last_name, student.email) == (
            "Åsa",
            "Öberg",
            "asa.oberg@example.se",
        )
    assert (
        (repo / "assignments/demo/roster.csv").read_text().splitlines()[1].startswith("asa.oberg,")
    )


def test_a_student_who_left_the_roster_keeps_their_record(
    repo: Path, cli: Invoke, tmp_path: Path
) -> None:
    (tmp_path / "before.csv").write_text(MOODLE)
    (tmp_path / "after.csv").write_text(MOODLE.rsplit("\n", 2)[0] + "\n")
    assert cli("roster", "import", "demo", str(tmp_path / "before.csv")).exit_code == 0
    result = cli("roster", "import", "demo", str(tmp_path / "after.csv"))
    assert "1 no longer on the roster" in result.output and "bjorn.l" in result.output
    with gradebook(f"sqlite:///{repo / 'assignments/demo/gradebook.db'}", "demo") as gb:
        assert gb.find_student("bjorn.l").last_name == "Lindqvist"
    assert "bjorn.l" not in (repo / "assignments/demo/roster.csv").read_text()


def test_a_missing_file_is_named_with_exit_2(cli: Invoke, tmp_path: Path) -> None:
    result = cli("roster", "import", "demo", str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 2
    assert "nowhere.csv: cannot read the roster" in result.output
