"""Agent B contacts agent A's listing in a real browser; A gets the email, moderators in copy."""

import re
import time

import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import OutboxEmail
from tests.conftest import scalar
from tests.e2e.conftest import sign_in_as


def wait_until_recorded_sent(app, timeout=15):
    """The sender records the outcome just after the SMTP server accepted the email."""
    deadline = time.monotonic() + timeout
    query = sa.select(sa.func.count()).where(OutboxEmail.status != "sent")
    while scalar(app, query) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert scalar(app, query) == 0


def test_agent_contacts_a_listing_and_the_poster_gets_the_email_without_a_reload(
    page, mail_live_server, smtp_server
):
    sign_in_as(page, mail_live_server, "karim.benali@ville.example")
    expect(page).to_have_url(mail_live_server("/annonces/"))
    # Leaving before the thumbnails are served makes the development server drop a response.
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Chaises visiteurs empilables").click()
    # Wait for the new page's load event: htmx (a deferred script) then handles the button.
    page.wait_for_url(re.compile(r"/annonces/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Chaises visiteurs empilables")
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again
    # Time in the page itself, from the click to the confirmation being in the DOM.
    page.evaluate(
        """() => {
          window.timing = {};
          document.addEventListener("click", () => { window.timing.click = performance.now(); },
                                    true);
          new MutationObserver(() => {
            if (!window.timing.confirmed && document.querySelector(".contact-confirmation")) {
              window.timing.confirmed = performance.now();
            }
          }).observe(document.body, {childList: true, subtree: true});
        }"""
    )
    page.get_by_label("Votre message au déposant (facultatif)").fill(
        "Pour la salle d'attente de l'école Jules-Ferry."
    )

    page.get_by_role("button", name="Je suis intéressé(e)").click()
    expect(page.get_by_text("Le déposant a été prévenu par e-mail.")).to_be_visible()
    page.wait_for_function("window.timing.confirmed !== undefined")
    timing = page.evaluate("window.timing")
    elapsed_ms = timing["confirmed"] - timing["click"]
    print(f"\nclick to confirmation: {elapsed_ms:.0f} ms")

    expect(page.get_by_text("Vous avez contacté le déposant le")).to_be_visible()
    expect(page.get_by_role("button", name="Je suis intéressé(e)")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True

    [received] = smtp_server.wait_for_messages(1)
    assert received.header("To") == "claire.martin@agglo.example"
    wait_until_recorded_sent(mail_live_server.app)
    assert received.header("Cc") == "moderation@agglo.example"
    assert received.header("Reply-To") == "karim.benali@ville.example"
    assert "Chaises visiteurs empilables" in received.header("Subject")
    assert "Pour la salle d'attente de l'école Jules-Ferry." in received.body("plain")
    wait_until_recorded_sent(mail_live_server.app)
    assert elapsed_ms < 5000


def test_a_slow_smtp_server_does_not_delay_the_confirmation(page, mail_live_server, smtp_server):
    smtp_server.handler.delay = 5  # seconds before the server answers the message
    sign_in_as(page, mail_live_server, "sophie.durand@agglo.example")
    expect(page).to_have_url(mail_live_server("/annonces/"))
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Chaises visiteurs empilables").click()
    # Wait for the new page's load event: htmx (a deferred script) then handles the button.
    page.wait_for_url(re.compile(r"/annonces/\d+$"))
    page.get_by_role("button", name="Je suis intéressé(e)").click()
    expect(page.get_by_text("Le déposant a été prévenu par e-mail.")).to_be_visible()
    assert smtp_server.messages == []  # the server has not answered yet: the page did not wait
    [received] = smtp_server.wait_for_messages(1)
    assert received.header("To") == "claire.martin@agglo.example"
    wait_until_recorded_sent(mail_live_server.app)
