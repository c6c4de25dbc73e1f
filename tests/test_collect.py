"""Submissions arrive in nbgrader's layout, as a plain folder or as an LMS .zip.

A problem with one submission (a name clash, an unsafe, oversized or damaged archive
member) is recorded on that submission and never stops the others; nothing a student
handed in is dropped without a word.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.course.config import load_course
from autograder.course.errors import SubmissionError
from autograder.course.paths import Repo
from autograder.grading import collect, store
from autograder.grading.collect import Inbox, copy_capped, discover, opened, student_id
from tests.conftest import Invoke
from tests.factory import save, source_notebook

APPLEDOUBLE = b"\x00\x05\x16\x07" + b"\x00" * 80  # what macOS writes as `._<name>`


def _discover(repo: Path, inbox: Inbox | Path) -> dict[str, collect.Submission]:
    course = load_course(Repo(repo), "demo")
    if isinstance(inbox, Path):
        inbox = Inbox(inbox)
    found = discover(inbox, course.assignment("a1"), Repo(repo).source_dir("demo", "a1"))
    return {s.student: s for s in found}


def _notebook_text() -> str:
    return json.dumps(source_notebook())


def _zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_nbgrader_layout_with_renamed_notebook(repo: Path) -> None:
    submitted = repo / "incoming"
    save(source_notebook(), submitted / "anna" / "a1" / "demo.ipynb")
    save(source_notebook(), submitted / "ben" / "a1" / "demo (1).ipynb")
    subs = _discover(repo, submitted)
    assert subs["anna"].notebooks["demo.ipynb"].name == "demo.ipynb"
    assert subs["ben"].notebooks["demo.ipynb"].name == "demo (1).ipynb"
    assert "notebook 'demo (1).ipynb' was renamed; graded as demo.ipynb" in subs["ben"].notes


def test_lms_file_names_become_safe_student_ids() -> None:
    assert student_id("Åsa Öberg_1234") == "Åsa_Öberg_1234"
    assert student_id("../../etc") == "etc"


@pytest.mark.sandbox
def test_zip_of_notebooks_is_graded(repo: Path, cli: Invoke) -> None:
    archive = repo / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "export/lina.ipynb", (repo / "assignments/demo/source/a1/demo.ipynb").read_text()
        )
        zf.writestr("export/__MACOSX/._lina.ipynb", "junk")
    result = cli("grade", "demo", "a1", str(archive))
    assert result.exit_code == 0, result.output
    assert "lina" in result.output and "5 / 5" in result.output


@pytest.mark.sandbox
def test_missing_submissions_path_is_a_clear_error(cli: Invoke, repo: Path) -> None:
    result = cli("grade", "demo", "a1", str(repo / "nowhere"))
    assert result.exit_code == 2
    assert "nowhere: no such file or folder" in result.output


# One broken submission affects only itself.


@pytest.mark.sandbox
def test_a_rejected_submission_is_recorded_and_the_others_graded(
    repo: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect, "MAX_MEMBER_BYTES", 100_000)
    archive = _zip(
        repo / "export.zip",
        {"export/lina.ipynb": _notebook_text(), "export/bomb.ipynb": b"\0" * 200_000},
    )
    result = cli("grade", "demo", "a1", str(archive))
    assert result.exit_code == 0, result.output
    db_url = f"sqlite:///{repo / 'assignments/demo/gradebook.db'}"
    recorded = store.load(db_url, "a1")
    assert recorded["lina"].status == store.GRADED and recorded["lina"].score == 5
    assert recorded["bomb"].status == store.UNGRADABLE
    with Gradebook(db_url, "demo") as gb:  # so report and export list it, with zero
        assert gb.find_submission("a1", "bomb").score == 0
    assert "export.zip: export/bomb.ipynb: unpacks to 200,000 bytes" in recorded["bomb"].messages[0]
    assert not (repo / "assignments/demo/submitted/bomb").exists()


def test_two_names_for_one_student_id_reject_only_that_id(repo: Path) -> None:
    folder = repo / "incoming"
    for name in ("Anna Berg.ipynb", "Anna_Berg.ipynb", "lina.ipynb"):
        save(source_notebook(), folder / name)
    subs = _discover(repo, folder)
    assert not subs["lina"].rejected
    assert subs["Anna_Berg"].rejected == [
        "'Anna Berg.ipynb' and 'Anna_Berg.ipynb' map to the same student id 'Anna_Berg': "
        "none was graded, since each could be a different student's; rename them apart "
        "and grade again"
    ]
    assert not subs["Anna_Berg"].notebooks


def test_a_hidden_notebook_is_graded_with_a_note(repo: Path) -> None:
    folder = repo / "incoming"
    save(source_notebook(), folder / ".lina.ipynb")
    sub = _discover(repo, folder)["lina"]
    assert sub.notebooks["demo.ipynb"].name == ".lina.ipynb"
    assert "'.lina.ipynb' is hidden (its name starts with a dot); graded as 'lina'" in sub.notes


def test_a_hidden_notebook_beside_the_expected_one_is_reported(repo: Path) -> None:
    folder = repo / "incoming" / "lina"
    save(source_notebook(), folder / "demo.ipynb")
    save(source_notebook(), folder / ".old.ipynb")
    sub = _discover(repo, repo / "incoming")["lina"]
    assert sub.notebooks["demo.ipynb"].name == "demo.ipynb"
    assert "hidden notebook '.old.ipynb' (its name starts with a dot) not graded" in sub.notes


def test_macos_appledouble_files_are_not_submissions(repo: Path) -> None:
    folder = repo / "incoming"
    save(source_notebook(), folder / "lina.ipynb")
    (folder / "._lina.ipynb").write_bytes(APPLEDOUBLE)
    subs = _discover(repo, folder)
    assert list(subs) == ["lina"] and not subs["lina"].rejected


# Archives are untrusted.


def test_a_member_outside_the_archive_rejects_only_its_submission(repo: Path) -> None:
    archive = _zip(
        repo / "evil.zip",
        {"eve/../../escape.ipynb": "{}", "lina/demo.ipynb": _notebook_text()},
    )
    with opened(archive) as inbox:
        subs = _discover(repo, inbox)
        assert not (inbox.folder.parent / "escape.ipynb").exists()
    assert subs["eve"].rejected == [
        "evil.zip: eve/../../escape.ipynb: points outside the archive; not extracted"
    ]
    assert not subs["lina"].rejected and subs["lina"].notebooks


def test_a_member_outside_every_submission_is_a_warning(repo: Path) -> None:
    archive = _zip(repo / "evil.zip", {"../escape.ipynb": "{}", "lina.ipynb": _notebook_text()})
    with opened(archive) as inbox:
        subs = _discover(repo, inbox)
    assert inbox.warnings == [
        "evil.zip: ../escape.ipynb: points outside the archive; not extracted; "
        "it belongs to no submission"
    ]
    assert list(subs) == ["lina"]


def test_a_zip_bomb_member_is_rejected_and_nothing_of_it_is_left(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect, "MAX_MEMBER_BYTES", 10_000)
    archive = _zip(repo / "bomb.zip", {"bomb.ipynb": b"\0" * 1_000_000, "lina.ipynb": "{}"})
    assert archive.stat().st_size < 10_000  # it is the decompressed size that is capped
    with opened(archive) as inbox:
        assert not (inbox.folder / "bomb.ipynb").exists()
        assert (inbox.folder / "lina.ipynb").is_file()
    assert inbox.rejected == {
        "bomb": [
            "bomb.zip: bomb.ipynb: unpacks to 1,000,000 bytes, more than 10,000 bytes; "
            "not extracted"
        ]
    }


def test_the_archive_total_is_capped(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect, "MAX_ARCHIVE_BYTES", 25_000)
    members = {f"s{i}.ipynb": b"\0" * 10_000 for i in range(3)}
    with opened(_zip(repo / "big.zip", members)) as inbox:
        assert sorted(p.name for p in inbox.folder.iterdir()) == ["s0.ipynb", "s1.ipynb"]
    assert list(inbox.rejected) == ["s2"]
    assert "the archive unpacks to more than 25,000 bytes in all" in inbox.rejected["s2"][0]


def _lie_about_size(archive: Path, name: str, size: int) -> None:
    """Rewrite the central directory's uncompressed size of `name`, as a crafted zip can."""
    data = bytearray(archive.read_bytes())
    entry = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46 : entry + 46 + name_length] == name.encode():
            break
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, size)
    archive.write_bytes(bytes(data))


def test_a_member_whose_header_lies_about_its_size_is_rejected(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect, "MAX_MEMBER_BYTES", 10_000)
    archive = _zip(repo / "liar.zip", {"liar.ipynb": b"\0" * 1_000_000, "lina.ipynb": "{}"})
    _lie_about_size(archive, "liar.ipynb", 100)
    with opened(archive) as inbox:
        assert not (inbox.folder / "liar.ipynb").exists()
        assert (inbox.folder / "lina.ipynb").is_file()
    assert list(inbox.rejected) == ["liar"]
    assert "liar.zip: liar.ipynb: cannot be extracted (BadZipFile" in inbox.rejected["liar"][0]


def test_copying_counts_the_bytes_that_come_out_not_the_header() -> None:
    with pytest.raises(collect.MemberTooLarge):
        copy_capped(io.BytesIO(b"\0" * 3_000_000), io.BytesIO(), limit=2_500_000)


def test_too_many_members_is_refused_before_extracting(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect, "MAX_MEMBERS", 3)
    archive = _zip(repo / "many.zip", {f"s{i}.ipynb": "{}" for i in range(4)})
    refused = pytest.raises(SubmissionError, match=r"many\.zip: the archive lists 4 files, more")
    with refused, opened(archive):
        pass


def test_a_member_listed_twice_rejects_its_submission(repo: Path) -> None:
    archive = repo / "twice.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("lina.ipynb", "{}")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("lina.ipynb", "{}")
    with opened(archive) as inbox:
        assert not (inbox.folder / "lina.ipynb").exists()
    assert inbox.rejected == {
        "lina": ["twice.zip: lina.ipynb: appears more than once in the archive; not extracted"]
    }
