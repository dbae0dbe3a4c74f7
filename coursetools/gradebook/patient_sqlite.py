"""A SQLite gradebook shared by concurrent grading processes: wait for the lock instead of failing.

SQLite lets one process write at a time; the others wait for at most the driver's timeout (5 s by default)
and then fail with "database is locked", which makes nbgrader drop that submission. nbgrader_config.py calls
`install()`, so every nbgrader process of this course waits up to `BUSY_SECONDS` instead.
"""
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_SECONDS = 300


def wait_for_locks(connection, _record) -> None:
    if isinstance(connection, sqlite3.Connection):
        connection.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")


def install() -> None:
    """Make every SQLite connection this process opens through SQLAlchemy wait for locks."""
    if not event.contains(Engine, "connect", wait_for_locks):
        event.listen(Engine, "connect", wait_for_locks)
