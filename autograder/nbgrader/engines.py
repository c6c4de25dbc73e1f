"""One SQLAlchemy engine per gradebook URL and process, shared with nbgrader.

nbgrader opens a new `Gradebook` about ten times per graded submission, and each
one makes a new engine, checks every table's existence one query at a time,
opens a connection and throws it all away again. Measured on a grading worker,
that was half its CPU per submission: compiling the same statements again for
each new engine, some 165 table checks, and closing the SQLite connection (which
checkpoints its WAL journal) every time. So, for nbgrader and for our own table:

- `create_engine` returns one cached engine per URL (engines are made to be
  shared; their compiled-statement cache then lasts the whole run);
- the table check runs as one query, and creates tables only when one is missing;
- a SQLite gradebook keeps its connections open for the life of the process
  (nbgrader's `dispose()` after each use leaves them be). Other databases pool
  nothing, so a server never sees connections left idle between uses.

SQLite gradebooks are written by several workers at once: each connection waits
for locks instead of failing, and the journal is in WAL mode so readers do not
block the writer. Commits do not wait for the disk (synchronous = NORMAL, the
setting SQLite recommends with WAL): a killed grader loses nothing it committed,
and a power cut can only undo the last commits, never corrupt the gradebook; a
run started again then regrades what was undone. nbgrader commits some twenty
times per submission, and each wait for the disk cost 0.3 ms here.
"""

from __future__ import annotations

import functools
import sqlite3

from sqlalchemy import MetaData, create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool, QueuePool


def _sqlite_for_concurrent_writers(dbapi_connection: object, record: object) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


class _KeptPool(QueuePool):
    """A pool that outlives `Engine.dispose()`, which nbgrader calls after every use."""

    def dispose(self) -> None:
        pass

    def recreate(self) -> _KeptPool:
        return self


@functools.cache
def engine(url: str) -> Engine:
    """The one engine of this process for `url` (nbgrader's too, once patches.install() ran)."""
    if url.startswith("sqlite"):
        made = create_engine(url, future=True, poolclass=_KeptPool)
        event.listen(made, "connect", _sqlite_for_concurrent_writers)
        return made
    return create_engine(url, future=True, poolclass=NullPool)


def create_missing_tables(metadata: MetaData, bind: Engine) -> None:
    """`metadata.create_all`, but one query when every table is already there."""
    if not set(metadata.tables) <= set(inspect(bind).get_table_names()):
        MetaData.create_all(metadata, bind=bind)
