"""Online backup and restore of the database and the uploaded photos."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 -- pg_dump/pg_restore with fixed arguments, no shell
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from .extensions import db

MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    """A backup or restore that did not complete; the message says why."""


def _sqlite_path() -> Path | None:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("in-memory SQLite database: nothing to back up")
    return Path(url.database)


def _integrity_ok(path: Path) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def backup(destination: Path) -> dict:
    """Copy a consistent database and the uploads into a new folder; return the manifest."""
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty")
    destination.mkdir(parents=True, exist_ok=True)
    manifest = {"created_at": datetime.now(UTC).isoformat(), "uploads": "uploads"}
    source = _sqlite_path()
    if source is not None:
        target = destination / "reemploi.sqlite"
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(target)
        try:
            # The online backup API copies a consistent snapshot while the app keeps serving.
            src.backup(dst, pages=1024)
        finally:
            dst.close()
            src.close()
        result = _integrity_ok(target)
        if result != "ok":
            raise BackupError(f"integrity check of the copy failed: {result}")
        manifest.update(database="reemploi.sqlite", engine="sqlite", integrity_check=result)
    else:
        target = destination / "reemploi.dump"
        url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
        _run_pg(["pg_dump", "--format=custom", "--no-owner", f"--file={target}"], url)
        manifest.update(database="reemploi.dump", engine="postgresql")
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    if uploads.is_dir():
        shutil.copytree(uploads, destination / "uploads")
    else:
        (destination / "uploads").mkdir()
    manifest["photos"] = sum(1 for _ in (destination / "uploads").iterdir())
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def restore(source: Path) -> dict:
    """Put a backup back in place of the current database and uploads."""
    source = Path(source)
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{source} has no {MANIFEST}: not a backup folder")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    target = _sqlite_path()
    if manifest.get("engine") == "sqlite":
        if target is None:
            raise BackupError("this backup is of a SQLite database; the app uses PostgreSQL")
        copy = source / manifest["database"]
        if _integrity_ok(copy) != "ok":
            raise BackupError("the backup's database fails its integrity check")
        db.session.remove()
        db.engine.dispose()
        src = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        if target is not None:
            raise BackupError("this backup is of a PostgreSQL database; the app uses SQLite")
        url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
        db.session.remove()
        db.engine.dispose()
        _run_pg(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                str(source / manifest["database"]),
            ],
            url,
        )
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    if uploads.exists():
        shutil.rmtree(uploads)
    shutil.copytree(source / "uploads", uploads)
    return manifest


def _run_pg(command: list[str], url) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = [
        *command,
        f"--host={url.host or 'localhost'}",
        f"--port={url.port or 5432}",
        f"--username={url.username or 'postgres'}",
        f"--dbname={url.database}",
    ]
    try:
        subprocess.run(args, check=True, env=env, capture_output=True, text=True, timeout=3600)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{command[0]} not found: install the PostgreSQL client") from None
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} failed: {error.stderr.strip()[:500]}") from None
