"""A course's students, read from the CSV a learning platform exports.

Teachers already have the class list in Moodle or Canvas; retyping it is where
mistakes come from. This module reads either export as it comes, finds each student's
login, display name and e-mail, and makes the login a safe system user name (the hub
gives every student a system account, and nbgrader's exchange names folders after it).

Recognised columns (first match wins; header names compared without case or spaces):

| what         | Moodle                          | Canvas                   |
|--------------|---------------------------------|--------------------------|
| login        | Username (Användarnamn)         | SIS Login ID, Login ID   |
| display name | First name + Last name/Surname  | Student, Name            |
|              | (Förnamn + Efternamn)           |                          |
| e-mail       | Email address (E-postadress)    | Email                    |
| student id   | ID number (ID-nummer)           | SIS User ID, ID          |

With no login column, the part of the e-mail before the @ is used. Canvas puts a
"Points Possible" row under its header; it is skipped, as are rows of test students.
Every bad line is reported with its number and why; none is guessed at.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from autograder.course.errors import AutograderError

MAX_NAME = 32  # useradd's limit on Linux user names
SAFE_NAME = re.compile(r"^[a-z][a-z0-9._-]*$")
# English and Swedish Moodle headers (a Swedish university's Moodle exports in Swedish).
LOGIN_COLUMNS = ("username", "användarnamn", "sisloginid", "loginid")
EMAIL_COLUMNS = ("emailaddress", "e-postadress", "email", "e-mail", "e-post")
FIRST_COLUMNS = ("firstname", "förnamn", "givenname")
LAST_COLUMNS = ("lastname", "efternamn", "surname", "familyname")
FULL_COLUMNS = ("student", "name", "namn", "fullname", "sortablename")
ID_COLUMNS = ("idnumber", "id-nummer", "sisuserid", "id")
SKIPPED_ROWS = re.compile(r"^\s*(points possible|test student)\s*$", re.I)
# Letters a transliteration by decomposition would drop or get wrong.
SPELLED = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ð": "d"})


@dataclass(frozen=True)
class Student:
    username: str
    display_name: str
    email: str = ""
    student_id: str = ""


@dataclass(frozen=True)
class Roster:
    students: tuple[Student, ...]
    renamed: tuple[tuple[int, str, str], ...]  # (line, as exported, as used)


class RosterError(AutograderError):
    """A roster the course cannot use as it stands; lists every bad line."""


def safe_username(raw: str) -> str:
    """A login made a safe system user name: lower case, letters folded to ASCII
    (å -> a, ö -> o), anything else but digits, '.', '_' and '-' dropped. '' if
    nothing usable is left."""
    folded = unicodedata.normalize("NFKD", raw.strip().lower().translate(SPELLED))
    ascii_only = (
        "".join(c for c in folded if not unicodedata.combining(c))
        .encode("ascii", "ignore")
        .decode()
    )
    name = re.sub(r"[^a-z0-9._-]", "", ascii_only.replace(" ", "."))
    name = name.lstrip("0123456789._-")
    return name[:MAX_NAME]


def _key(header: str) -> str:
    return re.sub(r"[\s_]", "", header.strip().lower().lstrip("\ufeff"))


def _column(headers: dict[str, int], names: tuple[str, ...]) -> int | None:
    return next((headers[name] for name in names if name in headers), None)


def _sniff(text: str) -> csv.Dialect | type[csv.Dialect]:
    try:
        return csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse_roster(text: str, source: str) -> Roster:
    """The students of an exported CSV text; RosterError lists every bad line."""
    rows = list(csv.reader(io.StringIO(text), _sniff(text)))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise RosterError(f"{source}: the file is empty; export the participants as CSV")
    headers = {_key(h): i for i, h in reversed(list(enumerate(rows[0])))}
    login = _column(headers, LOGIN_COLUMNS)
    email = _column(headers, EMAIL_COLUMNS)
    first, last = _column(headers, FIRST_COLUMNS), _column(headers, LAST_COLUMNS)
    full = _column(headers, FULL_COLUMNS)
    ident = _column(headers, ID_COLUMNS)
    if login is None and email is None:
        raise RosterError(
            f"{source}: no column names the students' logins; expected one of "
            "Username (Moodle), SIS Login ID or Login ID (Canvas), or an e-mail column"
        )

    def cell(row: list[str], index: int | None) -> str:
        return row[index].strip() if index is not None and index < len(row) else ""

    students: list[Student] = []
    renamed: list[tuple[int, str, str]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row) or SKIPPED_ROWS.match(row[0] if row else ""):
            continue
        name = " ".join(p for p in (cell(row, first), cell(row, last)) if p) or cell(row, full)
        address = cell(row, email)
        raw = cell(row, login) or address.split("@", 1)[0]
        where = f"{source}, line {number}"
        if not raw:
            problems.append(f"{where}: no login and no e-mail address ({name or 'no name'})")
            continue
        if address and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
            problems.append(f"{where}: {address!r} is not an e-mail address")
            continue
        username = safe_username(raw)
        if not username:
            problems.append(f"{where}: login {raw!r} has no letter a system user name can use")
            continue
        if username in seen:
            problems.append(
                f"{where}: login {raw!r} is {username!r}, already on line {seen[username]}"
            )
            continue
        seen[username] = number
        if username != raw:
            renamed.append((number, raw, username))
        students.append(Student(username, name or username, address, cell(row, ident)))
    if problems:
        raise RosterError(
            f"{source}: {len(problems)} line(s) cannot be used; nothing was imported:\n"
            + "\n".join(problems)
        )
    if not students:
        raise RosterError(f"{source}: no students in the file")
    return Roster(tuple(students), tuple(renamed))


def read_roster(path: Path) -> Roster:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RosterError(f"{path}: cannot read the roster ({error.strerror})") from None
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows saves CSV as cp1252
        try:
            return parse_roster(raw.decode(encoding), str(path))
        except UnicodeDecodeError:
            continue
    raise RosterError(f"{path}: not a text file in UTF-8 or Windows-1252")


ROSTER_FIELDS = ("username", "display_name", "email", "student_id")


def write_roster(roster: Roster, path: Path) -> None:
    """The course's roster as the hub and nbgrader read it: one row per student."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER_FIELDS)
        for student in roster.students:
            writer.writerow(
                [student.username, student.display_name, student.email, student.student_id]
            )


def load_roster(path: Path) -> tuple[Student, ...]:
    """The roster `write_roster` wrote; none yet means no students."""
    if not path.is_file():
        return ()
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(
            Student(**{k: row.get(k, "") for k in ROSTER_FIELDS}) for row in csv.DictReader(handle)
        )
