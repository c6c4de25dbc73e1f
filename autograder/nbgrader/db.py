"""The gradebook: nbgrader's `Gradebook` opened the one way this toolkit opens it, and
its URL shown without a password. The engines it and our own tables share are engines.py's.
"""

from __future__ import annotations

from nbgrader.api import Gradebook
from sqlalchemy.engine import make_url

from autograder.nbgrader import patches

__all__ = ["display", "gradebook", "has_password", "without_password"]


def display(url: str) -> str:
    """The URL as it may be shown or logged: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: say nothing of its contents
        return "<gradebook URL>"


def gradebook(url: str, course_id: str) -> Gradebook:
    """nbgrader's gradebook, opened the one way this toolkit opens it: patches installed."""
    patches.install()
    return Gradebook(url, course_id)


def has_password(url: str) -> bool:
    try:
        return make_url(url).password is not None
    except Exception:
        return False


def without_password(url: str) -> str:
    """The URL to write into a file: the same database, its password left out."""
    parsed = make_url(url)
    if parsed.password is None:
        return url
    # URL.set(password=None) keeps the password (None means "unchanged"); URL is a
    # NamedTuple, and _replace is its public way to clear a field.
    return parsed._replace(password=None).render_as_string(hide_password=False)
