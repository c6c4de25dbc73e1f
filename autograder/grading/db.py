"""One SQLAlchemy engine per gradebook URL and process, shared with nbgrader.

nbgrader opens a new `Gradebook`, and with it a new engine, about ten times per
graded submission. A new engine throws away SQLAlchemy's compiled-statement
cache, so each of them compiles its queries again: measured at a fifth of a
grading worker's CPU per submission. Engines are meant to be made once per URL
and process, so nbgrader's `create_engine` is pointed at this cache. The engine
pools no connections (NullPool): a connection lives as long as nbgrader's session
uses it, exactly as when nbgrader disposed of its engine after each use, so
nothing keeps a database open between uses.

SQLite gradebooks are written by several workers at once: each connection waits
for locks instead of failing, and the journal is in WAL mode so readers do not
block the writer.
"""

from __future__ import annotations

import functools
import sqlite3
from typing import Any

import nbgrader.api
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool


@event.listens_for(Engine, "connect")
def _sqlite_for_concurrent_writers(dbapi_connection: object, record: object) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()


@functools.cache
def engine(url: str) -> Engine:
    return create_engine(url, future=True, poolclass=NullPool)


def _for_nbgrader(url: Any, **_: Any) -> Engine:
    return engine(str(url))


nbgrader.api.create_engine = _for_nbgrader
