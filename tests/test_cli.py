"""The `flask reemploi` commands."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Category, Listing, Organisation, Photo, Service, User
from tests.conftest import count_rows


def test_seed_demo_loads_once_and_is_idempotent(app, runner):
    result = runner.invoke(args=["reemploi", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "chargées" in result.output
    counts = {m: count_rows(app, m) for m in (Organisation, Service, User, Listing, Photo)}
    assert counts[Organisation] == 2
    assert counts[Service] >= 15
    assert counts[Listing] >= 12
    assert counts[Photo] >= counts[Listing]
    again = runner.invoke(args=["reemploi", "seed-demo"])
    assert again.exit_code == 0 and "déjà présentes" in again.output
    assert {m: count_rows(app, m) for m in counts} == counts


def test_seed_demo_has_a_moderator_listings_in_every_state_and_sourced_categories(app, runner):
    runner.invoke(args=["reemploi", "seed-demo"])
    with app.app_context():
        statuses = set(db.session.execute(sa.select(Listing.status)).scalars())
        assert {"pending", "published", "reserved", "rejected", "closed"} <= statuses
        moderators = db.session.execute(
            sa.select(sa.func.count()).where(User.is_moderator.is_(True))
        ).scalar()
        assert moderators == 1
        categories = db.session.execute(sa.select(Category)).scalars().all()
        assert all(c.source_note and c.default_unit_weight_kg > 0 for c in categories)
        assert not any("informatique" in c.name.lower() for c in categories)


def test_create_user_makes_a_moderator_who_can_sign_in(app, runner):
    result = runner.invoke(
        args=["reemploi", "create-user", "Chef@Agglo.example", "--name", "Chef", "--moderator"],
        input="un-long-mot-de-passe\nun-long-mot-de-passe\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(
            sa.select(User).where(User.email == "chef@agglo.example")
        ).scalar_one()
        assert user.is_moderator and user.check_password("un-long-mot-de-passe")
    response = app.test_client().post(
        "/connexion", data={"email": "chef@agglo.example", "password": "un-long-mot-de-passe"}
    )
    assert response.status_code == 302


def test_create_user_refuses_a_duplicate_and_a_short_password(app, runner, make):
    existing = make.user()
    dup = runner.invoke(
        args=["reemploi", "create-user", existing.email, "--password", "un-long-mot-de-passe"]
    )
    assert dup.exit_code != 0 and "existe déjà" in dup.output
    short = runner.invoke(args=["reemploi", "create-user", "n@x.fr", "--password", "court"])
    assert short.exit_code != 0 and "10 caractères" in short.output
    assert count_rows(app, User) == 1


def test_every_command_has_a_one_line_help(runner):
    result = runner.invoke(args=["reemploi", "--help"])
    assert result.exit_code == 0
    for command in ("seed-demo", "create-user"):
        assert command in result.output
