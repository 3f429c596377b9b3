"""`flask reemploi backup` and `restore`: a consistent copy of the database and the photos."""

import json
import sqlite3

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Listing, Photo, User
from tests.conftest import TEST_DATABASE_URL, count_rows


@pytest.fixture
def seeded(app, runner):
    assert runner.invoke(args=["reemploi", "seed-demo"]).exit_code == 0
    return app


def test_backup_copies_a_checked_database_and_the_photos(seeded, runner, tmp_path):
    target = tmp_path / "backup-1"
    result = runner.invoke(args=["reemploi", "backup", str(target)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((target / "manifest.json").read_text())
    photos = count_rows(seeded, Photo)
    assert manifest["photos"] == photos * 2  # a thumbnail and a display size each
    if TEST_DATABASE_URL:
        assert (target / "reemploi.dump").stat().st_size > 0
    else:
        assert manifest["integrity_check"] == "ok"
        copy = sqlite3.connect(target / "reemploi.sqlite")
        assert copy.execute("SELECT count(*) FROM listing").fetchone()[0] == count_rows(
            seeded, Listing
        )
        copy.close()


def test_backup_refuses_a_folder_that_is_not_empty(seeded, runner, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file").write_text("keep me")
    result = runner.invoke(args=["reemploi", "backup", str(tmp_path / "x")])
    assert result.exit_code != 0 and "Sauvegarde impossible" in result.output
    assert (tmp_path / "x" / "file").read_text() == "keep me"


def test_restore_brings_back_the_saved_state(seeded, runner, tmp_path):
    target = tmp_path / "backup"
    assert runner.invoke(args=["reemploi", "backup", str(target)]).exit_code == 0
    users_before = count_rows(seeded, User)
    with seeded.app_context():
        db.session.execute(sa.delete(Photo))
        db.session.add(User(email="after-backup@example.org", name="Après"))
        db.session.commit()
    result = runner.invoke(args=["reemploi", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert count_rows(seeded, User) == users_before
    assert count_rows(seeded, Photo) > 0
    with seeded.test_request_context():
        from app.photos import photo_path

        name = db.session.execute(sa.select(Photo.stored_name)).scalars().first()
        with open(photo_path(name, "thumb"), "rb") as handle:
            assert handle.read(2) == b"\xff\xd8"


def test_restore_refuses_a_folder_that_is_not_a_backup(seeded, runner, tmp_path):
    result = runner.invoke(args=["reemploi", "restore", str(tmp_path), "--yes"])
    assert result.exit_code != 0
    assert "Restauration impossible" in result.output and "manifest.json" in result.output
