"""A moderator approves and rejects listings in a real browser; agents see the outcome."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.moderation_support import emails

MODERATOR = "moderation@agglo.example"


def test_moderator_approves_in_two_clicks_and_an_agent_sees_the_listing(browser, page, live_server):
    sign_in_as(page, live_server, MODERATOR)
    expect(page).to_have_url(live_server("/annonces/"))  # the moderator's home page
    counter = page.locator("#pending-count")
    expect(counter).to_contain_text("2")

    page.get_by_role("link", name=re.compile("^Modération")).click()  # click 1
    page.wait_for_url(re.compile(r"/moderation/$"))  # the load event: htmx is ready
    expect(page).to_have_url(live_server("/moderation/"))
    page.evaluate("window.__sameDocument = 'yes'")
    row = page.locator("li.queue-item", has_text="Canapé d'accueil deux places")
    row.get_by_role("button", name=re.compile("^Approuver")).click()  # click 2

    expect(row).to_contain_text("Annonce « Canapé d'accueil deux places » approuvée")
    expect(counter).to_contain_text("1")  # updated out of band, without a reload
    assert page.evaluate("window.__sameDocument") == "yes"
    (email,) = emails(live_server.app, "listing_approved")
    assert email.to == "sophie.durand@agglo.example"

    agent = browser.new_context(locale="fr-FR").new_page()
    sign_in_as(agent, live_server, "karim.benali@ville.example")
    expect(agent.get_by_text("Canapé d'accueil deux places")).to_be_visible()
    expect(agent.locator("#pending-count")).to_have_count(0)
    agent.context.close()


def test_a_rejection_reaches_the_posters_mes_annonces_with_its_reason(browser, page, live_server):
    sign_in_as(page, live_server, MODERATOR)
    page.goto(live_server("/moderation/"))
    row = page.locator("li.queue-item", has_text="Bouilloire et cafetière")
    row.get_by_text("Refuser…").click()
    # Sending without a reason keeps the row and says what is missing.
    row.get_by_role("button", name="Refuser l'annonce").click()
    row = page.locator("li.queue-item", has_text="Bouilloire et cafetière")
    expect(row.get_by_text("Choisissez un motif dans la liste.")).to_be_visible()
    row.get_by_label("Motif du refus").select_option(label="Usage personnel")
    row.get_by_label("Précisions pour le déposant").fill(
        "Une salle de pause peut convenir : précisez le service qui en a besoin."
    )
    row.get_by_role("button", name="Refuser l'annonce").click()
    expect(page.locator("li.queue-item-done", has_text="refusée")).to_be_visible()
    expect(page.locator("#pending-count")).to_contain_text("1")

    poster = browser.new_context(locale="fr-FR").new_page()
    sign_in_as(poster, live_server, "julien.petit@ville.example")
    poster.get_by_role("link", name="Mes annonces").click()
    item = poster.locator(".mine-item", has_text="Bouilloire et cafetière")
    expect(item).to_contain_text(
        "Usage personnel : Une salle de pause peut convenir : précisez le service qui en a besoin."
    )
    expect(item.get_by_role("link", name="Corriger et renvoyer")).to_be_visible()
    poster.context.close()
    (email,) = emails(live_server.app, "listing_rejected")
    assert email.to == "julien.petit@ville.example"


def test_bulk_approval_without_reloading_the_page(page, live_server):
    sign_in_as(page, live_server, MODERATOR)
    page.goto(live_server("/moderation/"))
    page.evaluate("window.__sameDocument = 'yes'")
    for title in ("Canapé d'accueil deux places", "Bouilloire et cafetière"):
        page.get_by_label(f"Sélectionner « {title} »").check()
    page.get_by_role("button", name="Approuver la sélection").click()
    expect(page.get_by_text("2 annonces approuvées")).to_be_visible()
    expect(page.get_by_text("Aucune annonce n'attend")).to_be_visible()
    expect(page.locator("#pending-count")).to_contain_text("0")
    assert page.evaluate("window.__sameDocument") == "yes"


def test_the_dashboard_shows_only_the_fields_of_the_chosen_period(page, live_server):
    sign_in_as(page, live_server, MODERATOR)
    page.goto(live_server("/statistiques/"))
    fields = {name: page.locator(f"#{name}") for name in ("mois", "semestre", "annee", "du", "au")}
    expect(fields["annee"]).to_be_visible()
    for name in ("mois", "semestre", "du", "au"):
        expect(fields[name]).to_be_hidden()
    page.select_option("#periode", "custom")
    expect(fields["du"]).to_be_visible()
    expect(fields["au"]).to_be_visible()
    expect(fields["annee"]).to_be_hidden()
    page.select_option("#periode", "month")
    expect(fields["mois"]).to_be_visible()
    expect(fields["du"]).to_be_hidden()
