"""A demo agent signs in through a real browser and lands on the listings."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as


def test_demo_agent_signs_in_and_sees_the_listings(page, live_server):
    page.goto(live_server("/"))
    expect(page).to_have_url(re.compile(r"/connexion\?next="))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    sign_in_as(page, live_server, "claire.martin@agglo.example")
    expect(page).to_have_url(live_server("/annonces/"))
    expect(page.get_by_role("heading", level=1, name="Annonces")).to_be_visible()
    expect(page.get_by_text("Chaises visiteurs empilables")).to_be_visible()
    # htmx loads under the CSP (a deferred script: wait for it rather than race it).
    page.wait_for_function("typeof window.htmx === 'object'")
    assert page.evaluate("typeof window.htmx.version") == "string"


def test_wrong_password_shows_the_message_next_to_the_field(page, live_server):
    sign_in_as(page, live_server, "claire.martin@agglo.example", password="pas-le-bon")
    expect(page.get_by_text("Adresse e-mail ou mot de passe incorrect")).to_be_visible()
    expect(page.get_by_label("Adresse e-mail professionnelle")).to_have_value(
        "claire.martin@agglo.example"
    )
