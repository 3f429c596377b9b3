"""Posting a listing with a photo, and instant search on the browse page, in a real browser."""

import re

from playwright.sync_api import expect

from tests.conftest import image_bytes
from tests.e2e.conftest import sign_in_as


def test_agent_posts_a_listing_with_a_photo_and_sees_it_pending(page, live_server, tmp_path):
    photo = tmp_path / "armoire.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(800, 600)))
    sign_in_as(page, live_server, "claire.martin@agglo.example")
    page.get_by_role("link", name="Déposer", exact=True).click()
    expect(page.get_by_role("heading", name="Déposer une annonce")).to_be_visible()
    page.get_by_label("Titre de l'annonce").fill("Armoire basse à portes coulissantes")
    page.get_by_label("Description").fill("Armoire grise 100 × 120 cm, avec clés.")
    page.get_by_label("Catégorie").select_option(label="Armoires")
    # The weight hint follows the category through htmx.
    expect(page.locator("#weight-hint")).to_contain_text("45")
    page.get_by_label("Quantité", exact=True).fill("2")
    page.get_by_label("Valeur estimée en euros, pour toute la quantité").fill("150,00")
    page.get_by_label("Site où voir et récupérer l'objet").select_option(label="Médiathèque")
    page.get_by_label("Photos (JPEG, PNG ou WEBP)").set_input_files(str(photo))
    # Forgetting the declaration keeps everything, photo included.
    page.get_by_role("button", name="Envoyer l'annonce en modération").click()
    expect(page.get_by_text("Cochez cette case pour publier l'annonce.")).to_be_visible()
    expect(page.get_by_label("Titre de l'annonce")).to_have_value(
        "Armoire basse à portes coulissantes"
    )
    expect(page.locator(".photo-list img")).to_have_count(1)
    page.get_by_label(re.compile("Je confirme que cet objet")).check()
    page.get_by_role("button", name="Envoyer l'annonce en modération").click()
    expect(page).to_have_url(live_server("/mes-annonces"))
    expect(page.get_by_text("Annonce enregistrée")).to_be_visible()
    pending = page.locator("section", has=page.locator("#group-pending"))
    expect(pending.get_by_role("link", name="Armoire basse à portes coulissantes")).to_be_visible()
    thumb = pending.locator("img").first
    expect(thumb).to_be_visible()
    assert thumb.evaluate("img => img.naturalWidth") > 0


def test_typing_in_the_search_box_filters_without_reloading(page, live_server):
    sign_in_as(page, live_server, "karim.benali@ville.example")
    expect(page.locator(".result-count")).to_have_text(re.compile(r"\d+ annonces"))
    before = page.locator(".card h2").count()
    assert before > 1
    page.evaluate("window.__sameDocument = 'yes'")
    page.get_by_label("Rechercher").press_sequentially("etageres", delay=40)
    expect(page.locator(".result-count")).to_have_text("1 annonce")
    expect(page.locator(".card h2")).to_have_text(["Étagères métalliques"])
    expect(page).to_have_url(re.compile(r"/annonces/\?q=etageres"))
    assert page.evaluate("window.__sameDocument") == "yes", "the page was reloaded"
    # A filter change works the same way and keeps the keyword.
    page.get_by_label("Catégorie").select_option(label="Chaises")
    expect(page.locator(".result-count")).to_have_text("Aucune annonce")
    expect(page).to_have_url(re.compile(r"q=etageres.*category=\d+"))
    assert page.evaluate("window.__sameDocument") == "yes"
    # Back restores the previous results.
    page.go_back()
    expect(page.locator(".card h2")).to_have_text(["Étagères métalliques"])
