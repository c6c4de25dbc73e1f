"""Finding submissions in the layouts teachers get them in, and staging them for nbgrader.

Accepted input (SUBMISSIONS argument of `autograder grade`):
- nbgrader's layout: `<folder>/<student>/<assignment>/*.ipynb` (e.g. the course's own
  `submitted/` after `nbgrader collect`), with an optional `timestamp.txt`;
- a plain folder (or a `.zip` of one, as an LMS export gives it) of `<student>.ipynb`
  files, for single-notebook assignments, or of `<student>/` folders of notebooks.

Each submission is copied into the course's `submitted/<student>/<assignment>/` under
the notebook names the assignment expects (a renamed notebook is matched by its graded
cells); the student's originals are never modified.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from autograder.config import Assignment
from autograder.errors import SubmissionError
from autograder.notebooks import graded_cells, read_notebook

_UNSAFE = re.compile(r"[^\w.@-]+")
_SKIP = {".ipynb_checkpoints", "__MACOSX", ".DS_Store"}


@dataclass
class Submission:
    student: str
    folder: Path
    """Where the student's files are (read-only for us)."""
    notebooks: dict[str, Path] = field(default_factory=dict)
    """Expected notebook file name -> the student's file that answers it."""
    notes: list[str] = field(default_factory=list)


def student_id(raw: str) -> str:
    """A path- and database-safe id: LMS file names contain spaces and accents."""
    cleaned = _UNSAFE.sub("_", raw).strip("._-")
    return cleaned or "unnamed"


@contextmanager
def opened(path: Path) -> Iterator[Path]:
    """A folder to read submissions from: the folder itself or an extracted .zip."""
    if path.is_dir():
        yield path
        return
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    if not zipfile.is_zipfile(path):
        raise SubmissionError(f"{path}: neither a folder nor a .zip archive")
    with tempfile.TemporaryDirectory(prefix="autograder-zip-") as tmp, zipfile.ZipFile(path) as zf:
        root = Path(tmp).resolve()
        for member in zf.infolist():
            target = (root / member.filename).resolve()
            if not target.is_relative_to(root):
                raise SubmissionError(f"{path}: unsafe path in archive: {member.filename}")
        zf.extractall(root)
        entries = [p for p in root.iterdir() if p.name not in _SKIP]
        yield entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def _match_notebooks(
    files: list[Path], assignment: Assignment, source_ids: dict[str, set[str]], sub: Submission
) -> None:
    by_name = {f.name: f for f in files}
    missing = [nb.file for nb in assignment.notebooks if nb.file not in by_name]
    spare = [f for f in files if f.name not in {nb.file for nb in assignment.notebooks}]
    for name in [nb.file for nb in assignment.notebooks if nb.file in by_name]:
        sub.notebooks[name] = by_name[name]
    if not missing or not spare:
        for name in missing:
            sub.notes.append(f"notebook {name} is missing: it scores zero")
        return
    if len(missing) == 1 and len(spare) == 1:
        chosen = {missing[0]: spare[0]}
    else:
        chosen = {}
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


def discover(path: Path, assignment: Assignment, source_dir: Path) -> list[Submission]:
    """All submissions under `path` (an opened folder), one per student, sorted by student."""
    source_ids = {
        nb.file: {c.grade_id for c in graded_cells(read_notebook(source_dir / nb.file))}
        for nb in assignment.notebooks
    }
    found: dict[str, Submission] = {}

    def add(raw_name: str, folder: Path, files: list[Path], loose: bool = False) -> None:
        sid = student_id(raw_name)
        if sid in found:
            raise SubmissionError(
                f"{folder}: two submissions map to student id {sid!r}; rename one of them"
            )
        sub = Submission(student=sid, folder=folder)
        if sid != raw_name:
            sub.notes.append(f"student id {raw_name!r} stored as {sid!r}")
        if loose:  # `<student>.ipynb` is the expected form of this layout, not a rename
            sub.notebooks[assignment.notebooks[0].file] = files[0]
        else:
            _match_notebooks(sorted(files), assignment, source_ids, sub)
        found[sid] = sub

    for entry in sorted(path.iterdir()):
        if entry.name in _SKIP or entry.name.startswith("."):
            continue
        if entry.is_dir():
            inner = entry / assignment.id
            folder = inner if inner.is_dir() else entry
            add(entry.name, folder, [f for f in folder.glob("*.ipynb")])
        elif entry.suffix == ".ipynb":
            if len(assignment.notebooks) != 1:
                raise SubmissionError(
                    f"{entry}: a loose notebook per student only works for single-notebook "
                    f"assignments; {assignment.id} has {len(assignment.notebooks)}: "
                    "give each student a folder"
                )
            add(entry.stem, path, [entry], loose=True)
    return sorted(found.values(), key=lambda s: s.student)


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
