"""Database connection rules: SQLite pragmas, up-front write locks, engine reset after fork."""

import os
import weakref

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_apps: weakref.WeakSet[Flask] = weakref.WeakSet()


def _dispose_engines_in_child() -> None:
    """A forked worker must not share the parent's pooled connections."""
    for app in list(_apps):
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_engines_in_child)


def init_database(app: Flask) -> None:
    """Set the per-connection rules on the application's engine."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    _apps.add(app)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A request that may write takes the write lock up front: two writers then queue on the
        # busy timeout instead of failing with "database is locked" when upgrading a read lock.
        if (
            has_request_context()
            and request.method in _READ_METHODS
            and not g.get("db_write_intent")
        ):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
