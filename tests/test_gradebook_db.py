"""How a SQLite gradebook is opened: shared by concurrent workers, and cheap to commit to."""

from __future__ import annotations

from pathlib import Path

from autograder.nbgrader import engines


def test_a_sqlite_gradebook_waits_for_locks_in_wal_mode_without_syncing_each_commit(
    tmp_path: Path,
) -> None:
    engine = engines.engine(f"sqlite:///{tmp_path / 'gradebook.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
