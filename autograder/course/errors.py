"""Errors a teacher or student can act on; the CLI prints them without a traceback."""


class AutograderError(Exception):
    """Base class: the message names the file and the problem."""


class ConfigError(AutograderError):
    """A course configuration (or a file it points to) is wrong."""


class SubmissionError(AutograderError):
    """One submission cannot be graded as handed in; the others still are."""
