"""Finding submissions in the layouts teachers get them in, and staging them for nbgrader.

Accepted input (SUBMISSIONS argument of `autograder grade`):
- nbgrader's layout: `<folder>/<student>/<assignment>/*.ipynb` (e.g. the course's own
  `submitted/` after `nbgrader collect`), with an optional `timestamp.txt`;
- a plain folder (or a `.zip` of one, as an LMS export gives it) of `<student>.ipynb`
  files, for single-notebook assignments, or of `<student>/` folders of notebooks.

Each submission is copied into the course's `submitted/<student>/<assignment>/` under
the notebook names the assignment expects (a renamed notebook is matched by its graded
cells); the student's originals are never modified.

A problem with one submission is recorded on that submission (`Submission.rejected`:
it is not graded, and scores zero with the reason) and never stops the others:
- two names that map to the same student id (`Anna Berg` and `Anna_Berg`): neither is
  graded, since either could be someone else's, until the teacher renames one;
- an archive member that is unsafe (`../`, an absolute path), too large, damaged or
  duplicated: its student's submission is not graded. A member that belongs to no
  student (`../x.ipynb` at the top) is not extracted and is reported as a warning.

Nothing is dropped silently. Only operating-system litter is skipped without a word
(`__MACOSX/`, `.DS_Store`, `.ipynb_checkpoints/`, and macOS's `._name` AppleDouble
files, recognised by their content, not just their name). A hidden notebook
(`.anna.ipynb`) is a submission like any other, graded with a note saying it was
hidden: the file is all the teacher has, and its student id (`anna`) collides with a
visible `anna.ipynb` if there is one, which is then reported as such. A hidden folder
is read as a student's folder when it holds notebooks, and skipped when it holds none
(`.git`, an editor's settings).

A `.zip` is never trusted: only the files grading reads (notebooks and
`timestamp.txt`) are extracted, each streamed to disk in chunks while its real
decompressed size is counted (a member's header can lie), with limits per member
(`MAX_MEMBER_BYTES`), per archive (`MAX_ARCHIVE_BYTES`) and on the number of members
(`MAX_MEMBERS`). A rejected member's partial file is deleted at once. A folder is the
teacher's own disk and is read as it is.
"""

from __future__ import annotations

import lzma
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from autograder.course.cells import graded_cells
from autograder.course.config import Assignment
from autograder.course.errors import SubmissionError
from autograder.course.notebooks import read_notebook

_UNSAFE = re.compile(r"[^\w.@-]+")
_SKIP = {".ipynb_checkpoints", "__MACOSX", ".DS_Store"}
_APPLEDOUBLE_MAGIC = b"\x00\x05\x16\x07"

MAX_MEMBER_BYTES = 100 * 2**20
"""Largest file taken from a .zip, counted as it is decompressed (a notebook with many
figures is a few MiB)."""
MAX_ARCHIVE_BYTES = 2 * 2**30
"""Most bytes extracted from one .zip in all (only notebooks and timestamps count)."""
MAX_MEMBERS = 20_000
"""Most entries a .zip may list; more is refused before anything is extracted."""
_CHUNK = 2**20
# What a damaged or hostile member can raise while it is read: zipfile's own errors, the
# decompressors', an encrypted or unsupported member, a name the file system refuses.
_MEMBER_ERRORS = (
    OSError,
    EOFError,
    RuntimeError,
    ValueError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
)


@dataclass
class Submission:
    student: str
    folder: Path
    """Where the student's files are (read-only for us)."""
    notebooks: dict[str, Path] = field(default_factory=dict)
    """Expected notebook file name -> the student's file that answers it."""
    notes: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    """Why this submission is not graded at all (it scores zero); empty when it is graded."""


@dataclass
class Inbox:
    """An opened SUBMISSIONS argument: the folder to read, and what could not be put in it."""

    folder: Path
    rejected: dict[str, list[str]] = field(default_factory=dict)
    """Student name as found (a top-level folder, or a loose notebook's stem) -> why
    some of its files were not extracted from the archive."""
    warnings: list[str] = field(default_factory=list)
    """Archive problems that belong to no student (a member outside every folder)."""


def student_id(raw: str) -> str:
    """A path- and database-safe id: LMS file names contain spaces and accents."""
    cleaned = _UNSAFE.sub("_", raw).strip("._-")
    return cleaned or "unnamed"


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n:,} bytes"


class MemberTooLarge(Exception):
    """More bytes came out of a stream than its limit allows."""


def copy_capped(src: IO[bytes], dst: IO[bytes], limit: int) -> int:
    """Copy `src` to `dst` in chunks; the bytes copied, or MemberTooLarge past `limit`.

    Counts what really comes out of the decompressor, whatever the archive's header
    says, and never holds more than one chunk in memory."""
    written = 0
    while chunk := src.read(_CHUNK):
        written += len(chunk)
        if written > limit:
            raise MemberTooLarge(written)
        dst.write(chunk)
    return written


def _safe_parts(name: str) -> tuple[str, ...] | None:
    """A member's path inside the archive, or None if it would land outside it."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\x00" in name:
        return None
    return path.parts


def _owner(parts: tuple[str, ...]) -> str | None:
    """The student a member belongs to (its path below the submissions folder), if any."""
    if not parts or parts[0] in _SKIP or parts[0] in ("..", "/"):
        return None
    if len(parts) == 1:
        return parts[0].removesuffix(".ipynb") if parts[0].endswith(".ipynb") else None
    return parts[0]


def _wanted(parts: tuple[str, ...]) -> bool:
    """Whether grading reads this file: a notebook or a timestamp, not OS litter."""
    return not _SKIP.intersection(parts) and (
        parts[-1].endswith(".ipynb") or parts[-1] == "timestamp.txt"
    )


def _extract(archive: Path, zf: zipfile.ZipFile, root: Path) -> Inbox:
    """Extract what grading reads from `zf` into `root`, within the size limits."""
    members = zf.infolist()
    if len(members) > MAX_MEMBERS:
        raise SubmissionError(
            f"{archive}: the archive lists {len(members):,} files, more than the "
            f"{MAX_MEMBERS:,} accepted; unpack it yourself and grade the folder"
        )
    wanted: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
    unsafe: list[zipfile.ZipInfo] = []
    for info in members:
        parts = _safe_parts(info.filename)
        if parts is None:
            unsafe.append(info)
        elif parts and not info.is_dir() and _wanted(parts):
            wanted.append((info, parts))
    # An LMS export is often one folder holding the submissions: read inside it.
    # Unsafe members count too: `eve/../x` still says that `eve/` is a student's folder.
    placed = [parts for _, parts in wanted] + [
        parts
        for parts in (PurePosixPath(info.filename).parts for info in unsafe)
        if parts and parts[0] not in ("/", "..")
    ]
    tops = {parts[0] for parts in placed}
    top = tops.pop() if len(tops) == 1 and all(len(p) > 1 for p in placed) else None
    inbox = Inbox(root if top is None else root / top)
    inbox.folder.mkdir(parents=True, exist_ok=True)

    def reject(parts: tuple[str, ...], message: str) -> None:
        below = parts if top is None else parts[1:] if parts[:1] == (top,) else ()
        owner = _owner(below)
        if owner is None:
            inbox.warnings.append(f"{message}; it belongs to no submission")
        else:
            inbox.rejected.setdefault(owner, []).append(message)

    total = 0
    seen: set[tuple[str, ...]] = set()
    for info, parts in wanted:
        where = f"{archive.name}: {info.filename}"
        target = root.joinpath(*parts)
        remaining = MAX_ARCHIVE_BYTES - total
        problem = None
        if parts in seen:
            problem = "appears more than once in the archive"
        elif info.file_size > MAX_MEMBER_BYTES:
            problem = f"unpacks to {_size(info.file_size)}, more than {_size(MAX_MEMBER_BYTES)}"
        elif info.file_size > remaining:
            problem = f"the archive unpacks to more than {_size(MAX_ARCHIVE_BYTES)} in all"
        else:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("xb") as dst:
                    total += copy_capped(src, dst, min(MAX_MEMBER_BYTES, remaining))
            except MemberTooLarge:
                problem = (
                    f"unpacks to more than {_size(MAX_MEMBER_BYTES)}, whatever its header says"
                    if remaining >= MAX_MEMBER_BYTES
                    else f"the archive unpacks to more than {_size(MAX_ARCHIVE_BYTES)} in all"
                )
            except _MEMBER_ERRORS as exc:
                problem = f"cannot be extracted ({type(exc).__name__}: {exc})"
        if problem is not None:
            if target.is_file():  # a partial file, or the first copy of a duplicate
                target.unlink()
            reject(parts, f"{where}: {problem}; not extracted")
        seen.add(parts)
    for info in unsafe:
        parts = PurePosixPath(info.filename).parts
        reject(parts, f"{archive.name}: {info.filename}: points outside the archive; not extracted")
    return inbox


@contextmanager
def opened(path: Path) -> Iterator[Inbox]:
    """The submissions to read: a folder as it is, or what a .zip safely extracts to."""
    if path.is_dir():
        yield Inbox(path)
        return
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    if not zipfile.is_zipfile(path):
        raise SubmissionError(f"{path}: neither a folder nor a .zip archive")
    with tempfile.TemporaryDirectory(prefix="autograder-zip-") as tmp:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise SubmissionError(f"{path}: a damaged .zip archive ({exc})") from None
        with zf:
            inbox = _extract(path, zf, Path(tmp).resolve())
        yield inbox


def _litter(path: Path) -> bool:
    """Operating-system files that are never a student's work."""
    if path.name in _SKIP:
        return True
    if not path.name.startswith("._") or not path.is_file():
        return False
    with path.open("rb") as fh:
        return fh.read(4) == _APPLEDOUBLE_MAGIC


def _match_notebooks(
    files: list[Path], assignment: Assignment, source_ids: dict[str, set[str]], sub: Submission
) -> None:
    by_name = {f.name: f for f in files}
    missing = [nb.file for nb in assignment.notebooks if nb.file not in by_name]
    spare = [f for f in files if f.name not in {nb.file for nb in assignment.notebooks}]
    for name in [nb.file for nb in assignment.notebooks if nb.file in by_name]:
        sub.notebooks[name] = by_name[name]
    chosen: dict[str, Path] = {}
    if missing and len(missing) == 1 and len(spare) == 1:
        chosen = {missing[0]: spare[0]}
    elif missing and spare:
        for name in missing:
            best, overlap = None, 0
            for f in spare:
                try:
                    ids = {c.grade_id for c in graded_cells(read_notebook(f))}
                except SubmissionError:
                    continue
                score = len(ids & source_ids[name])
                if score > overlap and f not in chosen.values():
                    best, overlap = f, score
            if best is not None:
                chosen[name] = best
    for name in missing:
        if name in chosen:
            sub.notebooks[name] = chosen[name]
            sub.notes.append(f"notebook {chosen[name].name!r} was renamed; graded as {name}")
        else:
            sub.notes.append(f"notebook {name} is missing: it scores zero")
    for f in spare:
        if f.name.startswith(".") and f not in chosen.values():
            sub.notes.append(f"hidden notebook {f.name!r} (its name starts with a dot) not graded")


@dataclass
class _Entry:
    """One thing in the submissions folder that is a student's work."""

    raw: str
    """The student's name as found: the folder's name, or the loose notebook's stem."""
    label: str
    """How messages name it: `anna/` or `anna.ipynb`."""
    folder: Path
    files: list[Path]
    loose: bool = False


def _entries(inbox: Inbox, assignment: Assignment) -> list[_Entry]:
    """Every top-level folder or notebook that is a submission, and every student whose
    files the archive refused (they may have nothing left on disk)."""
    entries = []
    for entry in sorted(inbox.folder.iterdir()):
        if _litter(entry):
            continue
        if entry.is_dir():
            inner = entry / assignment.id
            folder = inner if inner.is_dir() else entry
            files = sorted(f for f in folder.glob("*.ipynb") if f.is_file() and not _litter(f))
            if entry.name.startswith(".") and not files:
                continue  # `.git`, an editor's settings: nothing a student handed in
            entries.append(_Entry(entry.name, f"{entry.name}/", folder, files))
        elif entry.name.endswith(".ipynb") and entry.is_file():
            raw = entry.name.removesuffix(".ipynb")
            entries.append(_Entry(raw, entry.name, inbox.folder, [entry], loose=True))
    known = {e.raw for e in entries}
    entries += [
        _Entry(raw, raw, inbox.folder / raw, []) for raw in inbox.rejected if raw not in known
    ]
    return entries


def discover(inbox: Inbox, assignment: Assignment, source_dir: Path) -> list[Submission]:
    """All submissions in an opened folder, one per student id, sorted by student.

    A problem with one of them is in its `rejected`; it never stops the others."""
    source_ids = {
        nb.file: {c.grade_id for c in graded_cells(read_notebook(source_dir / nb.file))}
        for nb in assignment.notebooks
    }
    by_id: dict[str, list[_Entry]] = {}
    for entry in _entries(inbox, assignment):
        by_id.setdefault(student_id(entry.raw), []).append(entry)
    found = []
    for sid, entries in sorted(by_id.items()):
        first = entries[0]
        sub = Submission(student=sid, folder=first.folder)
        found.append(sub)
        for entry in entries:
            sub.rejected += inbox.rejected.get(entry.raw, [])
        if len(entries) > 1:
            names = " and ".join(repr(e.label) for e in entries)
            sub.rejected.append(
                f"{names} map to the same student id {sid!r}: none was graded, since each "
                "could be a different student's; rename them apart and grade again"
            )
            continue
        if first.raw.startswith("."):
            sub.notes.append(
                f"{first.label!r} is hidden (its name starts with a dot); graded as {sid!r}"
            )
        elif sid != first.raw:
            sub.notes.append(f"student id {first.raw!r} stored as {sid!r}")
        if sub.rejected:
            continue
        if first.loose:
            if len(assignment.notebooks) != 1:
                raise SubmissionError(
                    f"{first.files[0]}: a loose notebook per student only works for "
                    f"single-notebook assignments; {assignment.id} has "
                    f"{len(assignment.notebooks)}: give each student a folder"
                )
            # `<student>.ipynb` is the expected form of this layout, not a rename
            sub.notebooks[assignment.notebooks[0].file] = first.files[0]
        else:
            _match_notebooks(first.files, assignment, source_ids, sub)
    return found


def stage(sub: Submission, target: Path) -> None:
    """Copy one submission into nbgrader's `submitted/<student>/<assignment>/` folder."""
    if sub.folder.resolve() == target.resolve():
        # Already in place (nbgrader collect): only give a renamed notebook its expected
        # name, beside the student's original.
        for name, src in sub.notebooks.items():
            if src.name != name:
                shutil.copyfile(src, target / name)
        return
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, src in sub.notebooks.items():
        shutil.copyfile(src, target / name)
    if (sub.folder / "timestamp.txt").is_file():
        shutil.copyfile(sub.folder / "timestamp.txt", target / "timestamp.txt")
