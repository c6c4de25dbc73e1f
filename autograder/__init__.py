"""Course toolkit: book, nbgrader assignments and a sandboxed grading engine."""

import sys

# jsonschema (via nbformat) imports rfc3987-syntax, when installed, only to check the
# "iri" string format, which no notebook or nbgrader schema uses; building its grammar
# at import costs about a second of CPU in every process (the CLI and each grading
# worker). Marking it absent makes jsonschema skip that one format checker.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
