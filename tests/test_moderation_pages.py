"""Every back-office page under the CSP, and its forms fuzzed: no 500, nothing written, escaped."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import AuditEvent, OutboxEmail
from tests.conftest import count_rows, sign_in


def test_back_office_pages_have_no_inline_script_style_or_handler(app, client, make):
    moderator = make.moderator()
    listing = make.listing(status="pending")
    sign_in(client, moderator)
    pages = [
        "/moderation/",
        f"/moderation/annonces/{listing.id}",
        "/moderation/categories",
        f"/moderation/categories/{listing.category_id}",
        "/moderation/categories/nouvelle",
        "/moderation/services",
        "/moderation/services/import",
        "/moderation/sites",
        f"/moderation/sites/{listing.site_id}",
        "/moderation/utilisateurs",
        f"/moderation/utilisateurs/{moderator.id}",
        "/moderation/journal",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and "style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
        assert response.headers["Cache-Control"] == "no-store", path


def test_user_data_is_escaped_in_the_queue_and_the_journal(app, client, make):
    poster = make.user(name="<script>alert(1)</script>")
    listing = make.listing(poster=poster, status="pending", title="<img src=x onerror=alert(1)>")
    sign_in(client, make.moderator())
    client.post(
        f"/moderation/annonces/{listing.id}/refuser",
        data={f"refus-{listing.id}-reason": "other", f"refus-{listing.id}-detail": "<b>non</b>"},
    )
    for path in ("/moderation/", f"/moderation/annonces/{listing.id}", "/moderation/journal"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>non" not in html


def fuzz(examples: int):
    """Hypothesis settings for a test that uses the per-test app fixture."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=600)


@fuzz(40)
@given(reason=text, detail=text, value=text, weight=text, category=text)
def test_fuzzed_rejection_and_correction_never_fail_nor_write_on_invalid_input(
    app, make, reason, detail, value, weight, category
):
    client = app.test_client()
    sign_in(client, make.moderator())
    listing = make.listing(status="pending")
    before = count_rows(app, AuditEvent), count_rows(app, OutboxEmail)
    rejected = client.post(
        f"/moderation/annonces/{listing.id}/refuser",
        data={f"refus-{listing.id}-reason": reason, f"refus-{listing.id}-detail": detail},
    )
    assert rejected.status_code in (302, 422)
    if rejected.status_code == 422:
        assert (count_rows(app, AuditEvent), count_rows(app, OutboxEmail)) == before
    journal = count_rows(app, AuditEvent)
    corrected = client.post(
        f"/moderation/annonces/{listing.id}/corriger",
        data={"category_id": category, "estimated_value": value, "weight_kg": weight},
    )
    assert corrected.status_code in (302, 422)
    if corrected.status_code == 422:
        assert count_rows(app, AuditEvent) == journal


@pytest.mark.parametrize(
    "path",
    [
        "/moderation/categories/nouvelle",
        "/moderation/sites/nouveau",
        "/moderation/collectivites/nouvelle",
    ],
)
@fuzz(15)
@given(name=text, other=text)
def test_fuzzed_reference_forms_never_fail(app, make, path, name, other):
    client = app.test_client()
    sign_in(client, make.moderator())
    response = client.post(
        path,
        data={
            "name": name,
            "address": other,
            "short_name": other,
            "default_unit_weight_kg": other,
            "co2e_kg_per_unit": other,
            "source_note": other,
        },
    )
    assert response.status_code in (302, 422)


@fuzz(25)
@given(words=text, number=text, day=text, page=text)
def test_fuzzed_searches_and_transfers_never_fail(app, make, words, number, day, page):
    client = app.test_client()
    moderator = make.moderator()
    sign_in(client, moderator)
    users = client.get("/moderation/utilisateurs", query_string={"q": words, "page": page})
    assert users.status_code == 200
    journal = client.get(
        "/moderation/journal",
        query_string={"person": words, "listing": number, "date_from": day, "page": page},
    )
    assert journal.status_code in (200, 422)
    leaving = make.user()
    transfer = client.post(
        f"/moderation/utilisateurs/{leaving.id}/transferer", data={"colleague_email": words}
    )
    assert transfer.status_code == 422


def test_control_characters_are_refused_in_french(client, make):
    sign_in(client, make.moderator())
    response = client.post(
        "/moderation/sites/nouveau", data={"name": "Site\x00 nul", "address": "1 rue\x07"}
    )
    assert response.status_code == 422
    assert "caractère invisible non autorisé" in response.get_data(as_text=True)
