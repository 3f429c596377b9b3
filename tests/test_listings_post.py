"""Posting a listing: validation in French, photos checked and kept, moderation requested."""

import io
import re
from html import unescape

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import AuditEvent, Listing, OutboxEmail, Photo
from tests.conftest import count_rows, image_bytes, sign_in


@pytest.fixture
def poster(make):
    return make.user(name="Claire Martin")


@pytest.fixture
def refs(make):
    return {"category": make.category(name="Chaises", weight="9.6"), "site": make.site()}


def form_data(refs, **overrides):
    data = {
        "title": "Chaises visiteurs",
        "description": "Douze chaises grises empilables.",
        "category_id": str(refs["category"].id),
        "quantity": "12",
        "condition": "good",
        "estimated_value": "240",
        "weight_kg": "",
        "site_id": str(refs["site"].id),
        "location_detail": "Bureau 204",
        "available_from": "",
        "professional_use_confirmed": "y",
    }
    data.update(overrides)
    return data


def post(client, data, files=()):
    payload = dict(data)
    if files:
        payload["photos"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/annonces/nouvelle", data=payload, content_type="multipart/form-data")


def test_new_listing_is_pending_and_moderators_are_emailed(app, client, make, poster, refs):
    moderator = make.moderator(email="modo@example.org")
    sign_in(client, poster)
    response = post(client, form_data(refs, estimated_value="1 234,50"))
    assert response.status_code == 302
    assert response.location == "/mes-annonces"
    with app.app_context():
        listing = db.session.execute(sa.select(Listing)).scalar_one()
        assert listing.status == "pending"
        assert str(listing.estimated_value) == "1234.50"
        assert listing.poster_service_id == poster.service_id
        assert listing.quantity_left == 12 and listing.professional_use_confirmed
        email = db.session.execute(sa.select(OutboxEmail)).scalar_one()
        assert email.to == moderator.email
        assert "Chaises visiteurs" in email.subject and "Chaises visiteurs" in email.text
        assert f"http://reemploi.test/annonces/{listing.id}" in email.text
        event = db.session.execute(sa.select(AuditEvent)).scalar_one()
        assert (event.action, event.object_id, event.actor_id) == (
            "listing.submitted",
            listing.id,
            poster.id,
        )
    page = client.get("/mes-annonces").get_data(as_text=True)
    assert "Chaises visiteurs" in page and "En attente de modération" in page


def test_the_moderators_email_is_in_french_whatever_the_posters_language(
    app, client, make, poster, refs
):
    make.moderator(email="modo@example.org")
    client.post("/langue/en")
    sign_in(client, poster)
    assert post(client, form_data(refs, title="Bureau assis-debout")).status_code == 302
    with app.app_context():
        email = db.session.execute(sa.select(OutboxEmail)).scalar_one()
    assert email.subject.endswith("Annonce à modérer : Bureau assis-debout")
    assert "Une nouvelle annonce attend votre relecture :" in email.text
    assert "Quantité : 12 · Valeur estimée : 240,00" in email.text
    assert "File de modération" in email.html and "review" not in email.text


def test_moderation_emails_setting_replaces_the_moderators(make_app):
    app = make_app(MODERATION_EMAILS=["reemploi@agglo.example"])
    from tests.conftest import Factory

    make = Factory(app)
    make.moderator()
    poster = make.user()
    refs = {"category": make.category(), "site": make.site()}
    client = app.test_client()
    sign_in(client, poster)
    assert post(client, form_data(refs)).status_code == 302
    with app.app_context():
        assert db.session.execute(sa.select(OutboxEmail.to)).scalar_one() == (
            "reemploi@agglo.example"
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Donnez un titre à l'annonce."),
        ("title", "ab", "Entre 3 et 120 caractères."),
        ("title", "x" * 121, "Entre 3 et 120 caractères."),
        ("description", "", "Décrivez l'objet"),
        ("description", "x" * 5001, "5 000 caractères au plus."),
        ("category_id", "0", "Choisissez une catégorie."),
        ("category_id", "99999", "pas un choix valide"),
        ("quantity", "0", "Entre 1 et 10 000."),
        ("quantity", "abc", "pas un entier valide"),
        ("condition", "excellent", "pas un choix valide"),
        ("estimated_value", "", "Estimez la valeur en euros"),
        ("estimated_value", "-5", "Entre 0 et 1 000 000 €."),
        ("estimated_value", "douze", "Indiquez un nombre, par exemple 25 ou 12,50."),
        ("estimated_value", "12,345", "2 chiffres après la virgule au plus."),
        ("estimated_value", "NaN", "Indiquez un nombre"),
        ("estimated_value", "5000000", "Entre 0 et 1 000 000 €."),
        ("estimated_value", "1E100", "Nombre trop grand."),
        ("weight_kg", "-1", "Entre 0 et 100 000 kg."),
        ("weight_kg", "1,2345", "3 chiffres après la virgule au plus."),
        ("site_id", "0", "Choisissez un site."),
        ("location_detail", "x" * 201, "200 caractères au plus."),
        ("available_from", "2099-01-01", "Choisissez une date dans l'année qui vient."),
        ("available_from", "31/02/2026", "date"),
        ("professional_use_confirmed", "", "Cochez cette case pour publier l'annonce."),
    ],
)
def test_invalid_field_gets_a_french_message_and_keeps_what_was_typed(
    app, client, poster, refs, field, value, message
):
    sign_in(client, poster)
    data = form_data(refs, **{field: value})
    if field == "professional_use_confirmed":
        del data[field]
    response = post(client, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    errors = unescape(" ".join(re.findall(r'<p class="error" id="[^"]+">([^<]*)</p>', html)))
    assert message in errors, errors
    # Everything else typed is still in the form.
    if field != "title":
        assert 'value="Chaises visiteurs"' in html
    if field != "location_detail":
        assert 'value="Bureau 204"' in html
    assert count_rows(app, Listing) == 0


def test_htmx_form_errors_come_back_with_200(client, poster, refs):
    sign_in(client, poster)
    response = client.post(
        "/annonces/nouvelle",
        data=form_data(refs, title=""),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Donnez un titre" in response.get_data(as_text=True)


def test_agent_without_a_service_is_asked_to_complete_the_profile(client, make, refs):
    agent = make.user()
    with client.application.app_context():
        from app.models import User

        db.session.get(User, agent.id).service_id = None
        db.session.commit()
    sign_in(client, agent)
    response = client.get("/annonces/nouvelle")
    assert response.status_code == 302 and response.location.startswith("/profil")


# --- Photos -------------------------------------------------------------------------------------


def _exif_jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 20), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (46.0, 49.0, 0.0)  # GPS latitude
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_photos_are_re_encoded_without_exif_and_turned_upright(app, client, poster, refs):
    sign_in(client, poster)
    files = [
        ("photo.jpg", _exif_jpeg_with_gps()),
        ("b.png", image_bytes("PNG")),
        ("c.webp", image_bytes("WEBP")),
    ]
    response = post(client, form_data(refs), files)
    assert response.status_code == 302
    with app.app_context():
        photos = db.session.execute(sa.select(Photo).order_by(Photo.position)).scalars().all()
        assert [p.position for p in photos] == [0, 1, 2]
        assert all(p.listing_id is not None for p in photos)
        first = photos[0]
        assert (first.width, first.height) == (20, 40)  # orientation applied
        listing_id = first.listing_id
    response = client.get(f"/photos/{first.id}/display")
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    served = Image.open(io.BytesIO(response.data))
    assert served.format == "JPEG" and served.size == (20, 40)
    assert not served.getexif(), "EXIF (and GPS) must be dropped"
    response.close()
    assert client.get(f"/annonces/{listing_id}").status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.jpg.php", b"<?php system($_GET['c']); ?>", "n'est pas une photo JPEG, PNG ou WEBP"),
        ("animation.gif", None, "n'est pas une photo JPEG, PNG ou WEBP"),
        ("huge.png", None, "Image trop grande"),
        ("cut.jpg", None, "n'est pas une photo JPEG, PNG ou WEBP"),
    ],
)
def test_refused_files_say_why_and_keep_the_valid_photo_and_fields(
    app, client, poster, refs, name, content, message
):
    if name == "animation.gif":
        content = image_bytes("GIF")
    elif name == "huge.png":
        content = _bomb_png()
    elif name == "cut.jpg":
        content = image_bytes("JPEG", size=(400, 300))[:300]
    sign_in(client, poster)
    response = post(
        client, form_data(refs, title=""), [("good.jpg", image_bytes()), (name, content)]
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"{name} :" in unescape(html) and message in unescape(html)
    # The valid photo is kept with the form: sending it again without files creates the listing.
    kept = re.findall(r'name="photo_ids" value="(\d+)"', html)
    assert len(kept) == 1
    response = client.post("/annonces/nouvelle", data={**form_data(refs), "photo_ids": kept})
    assert response.status_code == 302
    with app.app_context():
        listing = db.session.execute(sa.select(Listing)).scalar_one()
        assert [p.id for p in listing.photos] == [int(kept[0])]


def _bomb_png() -> bytes:
    """A 20000×20000 PNG: tiny on disk, 400 million pixels once decoded."""
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def test_polyglot_payload_is_dropped_by_re_encoding(app, client, poster, refs):
    payload = b"<script>alert(1)</script><?php echo 1; ?>"
    sign_in(client, poster)
    assert (
        post(client, form_data(refs), [("poly.png", image_bytes("PNG") + payload)]).status_code
        == 302
    )
    with app.app_context():
        photo = db.session.execute(sa.select(Photo)).scalar_one()
    for size in ("thumb", "display"):
        response = client.get(f"/photos/{photo.id}/{size}")
        assert payload not in response.data and b"<script" not in response.data
        assert response.mimetype == "image/jpeg"
        response.close()


def test_at_most_six_photos(app, client, poster, refs):
    sign_in(client, poster)
    files = [(f"p{i}.jpg", image_bytes()) for i in range(7)]
    response = post(client, form_data(refs), files)
    assert response.status_code == 422
    assert "6 photos au plus" in response.get_data(as_text=True)
    assert count_rows(app, Photo) == 6


def test_another_agents_uploaded_photo_cannot_be_taken(app, client, make, poster, refs):
    other = make.user()
    other_client = app.test_client()
    sign_in(other_client, other)
    html = post(other_client, form_data(refs, title=""), [("a.jpg", image_bytes())]).get_data(
        as_text=True
    )
    stolen = re.findall(r'name="photo_ids" value="(\d+)"', html)
    assert stolen
    sign_in(client, poster)
    assert client.get(f"/photos/{stolen[0]}/thumb").status_code == 404
    assert (
        client.post("/annonces/nouvelle", data={**form_data(refs), "photo_ids": stolen}).status_code
        == 302
    )
    with app.app_context():
        listing = db.session.execute(sa.select(Listing)).scalar_one()
        assert listing.photos == []


def test_unknown_photo_size_is_404(client, poster):
    sign_in(client, poster)
    assert client.get("/photos/1/original").status_code == 404


def test_weight_hint_uses_the_category_default(client, poster, refs):
    sign_in(client, poster)
    html = client.get(
        f"/annonces/poids-estime?category_id={refs['category'].id}&quantity=3"
    ).get_data(as_text=True)
    assert "28,8" in html and "Chaises" in html


def test_email_links_carry_the_sub_path_once(make_app):
    from tests.conftest import Factory

    app = make_app(BASE_URL="https://intranet.example/reemploi")
    make = Factory(app)
    make.moderator(email="modo@example.org")
    poster = make.user()
    refs = {"category": make.category(), "site": make.site()}
    client = app.test_client()
    base = "http://localhost/reemploi/"
    client.post(
        "/connexion",
        base_url=base,
        data={"email": poster.email, "password": "correct-horse-battery"},
    )
    response = client.post("/annonces/nouvelle", base_url=base, data=form_data(refs))
    assert response.status_code == 302
    with app.app_context():
        listing_id = db.session.execute(sa.select(Listing.id)).scalar_one()
        text = db.session.execute(sa.select(OutboxEmail.text)).scalar_one()
    assert f"https://intranet.example/reemploi/annonces/{listing_id}" in text
    assert "https://intranet.example/reemploi/moderation/" in text
    assert "/reemploi/reemploi/" not in text
