"""The teacher's side of an assignment, as one digest.

A release and every recorded result were computed from an assignment's config and
its source files; when either changes, the digest changes, and so the grader knows
that a release is stale or that a recorded result must be computed again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from autograder.course.config import Assignment


def assignment_digest(assignment: Assignment, source_dir: Path) -> hashlib._Hash:
    """A running hash of the assignment's config and every file under its source folder,
    open for callers that add the submission's files to it."""
    digest = hashlib.sha256(assignment.model_dump_json().encode())
    for path in sorted(source_dir.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest
