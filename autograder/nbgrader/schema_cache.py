"""nbgrader's cell-metadata check, with its JSON schema checked once instead of per cell.

nbgrader validates each cell's nbgrader metadata with `jsonschema.validate`, which
first checks the schema itself against JSON Schema's meta-schema, then builds a
validator: for every cell of every submission, the same schema (measured: about a
fifth of a grading worker's time in nbgrader's sanitize pass). Here each distinct
schema is checked and compiled once per process, and the instance is validated
exactly as `jsonschema.validate` does, raising the same best-matching error.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema


class CheckedSchemas:
    """Stands in for the `jsonschema` module inside nbgrader's metadata validator."""

    def __init__(self) -> None:
        self._validators: dict[str, Any] = {}

    def validate(self, instance: object, schema: dict[str, Any]) -> None:
        # nbgrader reads its schema file again for each validator, so key by content.
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            kind = jsonschema.validators.validator_for(schema)
            kind.check_schema(schema)
            validator = self._validators[key] = kind(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
