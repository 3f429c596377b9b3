"""`flask reemploi notify-moderators`: nothing waits unseen, and no digest comes twice a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.models import utcnow
from tests.conftest import Factory
from tests.moderation_support import emails, events


@pytest.fixture
def moderators(make):
    return [
        make.moderator(email="helene@example.org"),
        make.moderator(email="marc@example.org"),
        make.moderator(email="former@example.org", active=False),
    ]


def _notify(runner):
    return runner.invoke(args=["reemploi", "notify-moderators"])


def test_digest_lists_listings_pending_longer_than_the_delay(app, make, runner, moderators):
    poster = make.user(name="Paul Déposant")
    now = utcnow()
    make.listing(
        poster=poster, status="pending", title="Vieux bureau", created_at=now - timedelta(hours=30)
    )
    make.listing(
        poster=poster, status="pending", title="Tout neuf", created_at=now - timedelta(hours=2)
    )
    make.listing(
        poster=poster, status="published", title="En ligne", created_at=now - timedelta(days=5)
    )
    result = _notify(runner)
    assert result.exit_code == 0, result.output
    assert "Récapitulatif envoyé à 2 destinataire(s) : 1 annonce(s)" in result.output
    (email,) = emails(app)
    assert email.kind == "moderation_digest"
    assert email.to == "helene@example.org, marc@example.org"
    assert "1 annonce(s) en attente de modération depuis plus de 24 h" in email.subject
    assert "Vieux bureau" in email.text and "Paul Déposant" in email.text
    assert "Tout neuf" not in email.text and "En ligne" not in email.text
    assert "http://reemploi.test/moderation/" in email.text
    assert 'href="http://reemploi.test/moderation/"' in email.html
    (event,) = events(app, "digest.sent")
    assert event.actor_id is None
    assert event.after["to"] == ["helene@example.org", "marc@example.org"]


def test_nothing_is_sent_when_nothing_waits_too_long(app, make, runner, moderators):
    make.listing(status="pending", created_at=utcnow() - timedelta(hours=23))
    result = _notify(runner)
    assert result.exit_code == 0
    assert "Aucune annonce en attente depuis plus de 24 h : aucun envoi." in result.output
    assert emails(app) == [] and events(app) == []


def test_a_listing_counts_from_when_it_was_last_sent_to_moderation(app, make, runner, moderators):
    now = utcnow()
    make.listing(
        status="pending",
        title="Renvoyée ce matin",
        created_at=now - timedelta(days=5),
        submitted_at=now - timedelta(hours=3),
    )
    make.listing(
        status="pending",
        title="Renvoyée avant-hier",
        created_at=now - timedelta(days=5),
        submitted_at=now - timedelta(hours=50),
    )
    assert _notify(runner).exit_code == 0
    (email,) = emails(app)
    assert "Renvoyée avant-hier" in email.text and "Renvoyée ce matin" not in email.text
    assert "en attente depuis le" in email.text


def test_the_same_digest_is_never_sent_twice_in_a_day(app, make, runner, moderators):
    make.listing(status="pending", created_at=utcnow() - timedelta(days=2))
    assert _notify(runner).exit_code == 0
    second = _notify(runner)
    assert second.exit_code == 0
    assert "déjà été envoyé" in second.output
    assert len(emails(app)) == 1
    assert len(events(app, "digest.sent")) == 1


def test_the_next_day_a_new_digest_goes_out(app, make, moderators):
    from app.moderation.digest import notify_moderators

    make.listing(status="pending", created_at=datetime(2026, 3, 1, 8, tzinfo=UTC))
    # 7:00 in Paris on 3 March, then 23:30 the same day, then 0:30 on 4 March (Paris time).
    times = [
        datetime(2026, 3, 3, 6, tzinfo=UTC),
        datetime(2026, 3, 3, 22, 30, tzinfo=UTC),
        datetime(2026, 3, 3, 23, 30, tzinfo=UTC),
    ]
    outcomes = []
    for moment in times:
        with app.app_context():
            outcomes.append(notify_moderators(now=moment).status)
    assert outcomes == ["sent", "already_sent", "sent"]
    assert len(emails(app)) == 2


def test_delay_and_recipients_follow_the_configuration(make_app, runner):
    app = make_app(MODERATION_DIGEST_DELAY_HOURS=48, MODERATION_EMAILS=["equipe@example.org"])
    make = Factory(app)
    make.moderator(email="helene@example.org")
    make.listing(status="pending", title="Trente heures", created_at=utcnow() - timedelta(hours=30))
    result = app.test_cli_runner().invoke(args=["reemploi", "notify-moderators"])
    assert "plus de 48 h : aucun envoi" in result.output
    make.listing(status="pending", title="Trois jours", created_at=utcnow() - timedelta(days=3))
    result = app.test_cli_runner().invoke(args=["reemploi", "notify-moderators"])
    assert result.exit_code == 0, result.output
    (email,) = emails(app)
    assert email.to == "equipe@example.org"
    assert "plus de 48 h" in email.subject
    assert "Trois jours" in email.text and "Trente heures" not in email.text


def test_listings_waiting_with_no_moderator_at_all_is_an_error_for_cron(app, make, runner):
    make.listing(status="pending", created_at=utcnow() - timedelta(days=2))
    result = _notify(runner)
    assert result.exit_code != 0
    assert "aucun modérateur actif" in result.output
    assert emails(app) == [] and events(app) == []


def test_commands_have_a_one_line_help(runner):
    output = runner.invoke(args=["reemploi", "--help"]).output
    assert "import-services" in output and "notify-moderators" in output
