"""nbgrader's metadata check, with its schema compiled once, still tells valid from invalid."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from nbformat.v4 import new_code_cell
from nbgrader.nbgraderformat import MetadataValidator

from autograder.nbgrader import patches

patches.install()  # the schema cache is one of the patches


def graded_cell(points: object) -> object:
    meta = {
        "schema_version": 3,
        "grade": True,
        "solution": False,
        "locked": True,
        "task": False,
        "grade_id": "test_add",
        "points": points,
    }
    return new_code_cell("assert add(1, 2) == 3", metadata={"nbgrader": meta})


def test_valid_metadata_passes_every_time() -> None:
    for _ in range(2):  # the second time, from the cached validator
        MetadataValidator().validate_cell(graded_cell(2))


def test_invalid_metadata_is_rejected_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ValidationError, match="'ten' is not of type 'number'"):
            MetadataValidator().validate_cell(graded_cell("ten"))
