"""An agent closes a listing as exchanged; a moderator sees the savings grow by its value."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as


def _euros(text: str) -> Decimal:
    digits = re.sub(r"[^\d,]", "", text).replace(",", ".")
    return Decimal(digits)


def _dashboard_total(page, live_server) -> Decimal:
    page.goto(live_server("/statistiques/"))
    return _euros(page.locator('[data-figure="value"]').inner_text())


def test_agent_closes_as_exchanged_and_moderator_sees_the_total_grow(browser, live_server):
    moderator = browser.new_context(locale="fr-FR").new_page()
    sign_in_as(moderator, live_server, "moderation@agglo.example")
    before = _dashboard_total(moderator, live_server)
    receiving = moderator.locator("#by-receiving")
    expect(moderator.get_by_role("heading", name="Par service qui reçoit")).to_be_visible()
    assert "Culture et festivités" not in (receiving.inner_text() if receiving.count() else "")

    agent = browser.new_context(locale="fr-FR").new_page()
    sign_in_as(agent, live_server, "claire.martin@agglo.example")
    agent.goto(live_server("/mes-annonces"))
    item = agent.locator(".mine-item", has_text="Table ronde de réunion")
    item.get_by_role("link", name="Clôturer").click()
    expect(agent.get_by_role("heading", level=1)).to_contain_text("Table ronde de réunion")
    agent.get_by_label("Échangé avec un autre service").check()
    agent.get_by_label("Service qui a récupéré l'objet").select_option(
        label="Culture et festivités"
    )
    agent.get_by_role("button", name="Enregistrer").click()
    expect(agent.get_by_text("objet échangé avec le service Culture et festivités")).to_be_visible()
    expect(agent.locator("#group-closed")).to_be_visible()
    expect(agent.locator(".mine-item", has_text="Table ronde de réunion")).to_contain_text(
        "Échangé avec un autre service"
    )
    agent.goto(live_server("/annonces/"))
    expect(agent.get_by_text("Table ronde de réunion")).to_have_count(0)

    after = _dashboard_total(moderator, live_server)
    assert after - before == Decimal("120.00")  # the table's estimated value
    expect(moderator.locator("#by-receiving")).to_contain_text("Culture et festivités")
    expect(moderator.locator("svg.chart").first).to_be_visible()
    moderator.context.close()
    agent.context.close()


def test_agent_sees_no_statistics(page, live_server):
    sign_in_as(page, live_server, "karim.benali@ville.example")
    expect(page.get_by_role("link", name="Statistiques")).to_have_count(0)
    response = page.goto(live_server("/statistiques/"))
    assert response.status == 403
