"""Reference data: categories, organisations, services, sites; the CSV import of services."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Category, Organisation, Service, Site
from tests.conftest import count_rows, scalar, sign_in
from tests.moderation_support import events


@pytest.fixture
def moderator(make):
    return make.moderator()


@pytest.fixture
def mod_client(app, moderator):
    client = app.test_client()
    sign_in(client, moderator)
    return client


def test_moderator_creates_a_category_with_its_sourced_factors(app, mod_client):
    response = mod_client.post(
        "/moderation/categories/nouvelle",
        data={
            "name": "Chaises en bois",
            "default_unit_weight_kg": "9,6",
            "co2e_kg_per_unit": "25",
            "source_note": "ADEME Base Carbone « Mobilier » : chaise en bois",
            "active": "y",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/moderation/categories")
    with app.app_context():
        category = db.session.execute(sa.select(Category)).scalar_one()
        assert category.default_unit_weight_kg == Decimal("9.600")
        assert category.co2e_kg_per_unit == Decimal("25.000")
        assert category.active is True
    (event,) = events(app, "category.created")
    assert event.after["name"] == "Chaises en bois"
    assert event.after["default_unit_weight_kg"] == "9.600"
    html = mod_client.get("/moderation/categories").get_data(as_text=True)
    assert "Chaises en bois" in html and "ADEME Base Carbone" in html


def test_category_edit_journals_only_what_changed(app, make, mod_client):
    category = make.category(name="Tables", weight="34", co2e="96")
    response = mod_client.post(
        f"/moderation/categories/{category.id}",
        data={
            "name": "Tables",
            "default_unit_weight_kg": "30",
            "co2e_kg_per_unit": "96",
            "source_note": "Pesée du magasin général, 2026",
            "active": "y",
        },
    )
    assert response.status_code == 302
    (event,) = events(app, "category.updated")
    assert event.before == {"default_unit_weight_kg": "34.000", "source_note": "Source de test"}
    assert event.after == {
        "default_unit_weight_kg": "30.000",
        "source_note": "Pesée du magasin général, 2026",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Indiquez le nom de la catégorie."),
        ("default_unit_weight_kg", "lourd", "Indiquez un nombre, par exemple 25 ou 12,50."),
        ("co2e_kg_per_unit", "-1", "Entre 0 et 100 000 kg CO2e."),
        ("source_note", "", "Indiquez d'où viennent ces chiffres"),
    ],
)
def test_invalid_category_is_refused_in_french_and_keeps_the_input(
    app, mod_client, field, value, message
):
    data = {
        "name": "Armoires",
        "default_unit_weight_kg": "45",
        "co2e_kg_per_unit": "40",
        "source_note": "FIRA",
        "active": "y",
    }
    data[field] = value
    response = mod_client.post("/moderation/categories/nouvelle", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert message in html
    kept = {k: v for k, v in data.items() if k not in (field, "active")}
    for typed in kept.values():
        assert typed in html
    assert count_rows(app, Category) == 0


def test_duplicate_category_name_is_refused_whatever_the_case(app, make, mod_client):
    make.category(name="Canapés")
    response = mod_client.post(
        "/moderation/categories/nouvelle",
        data={
            "name": "canapés",
            "default_unit_weight_kg": "43",
            "co2e_kg_per_unit": "180",
            "source_note": "ADEME",
        },
    )
    assert response.status_code == 422
    assert "Une catégorie porte déjà ce nom." in response.get_data(as_text=True)
    assert count_rows(app, Category) == 1


def _used_and_unused(make, kind):
    """Two items of a kind: one referred to by a listing or a user, one not."""
    if kind == "categories":
        used = make.category()
        make.listing(category_id=used.id)
        return Category, used, make.category()
    if kind == "sites":
        used = make.site()
        make.listing(site_id=used.id)
        return Site, used, make.site()
    if kind == "services":
        used = make.service()
        make.user(service=used)
        return Service, used, make.service()
    used = make.organisation()
    make.service(organisation=used)
    return Organisation, used, make.organisation()


@pytest.mark.parametrize("kind", ["categories", "sites", "services", "collectivites"])
def test_an_item_in_use_is_deactivated_and_an_unused_one_deleted(app, make, mod_client, kind):
    model, used, unused = _used_and_unused(make, kind)
    response = mod_client.post(f"/moderation/{kind}/{used.id}/retirer", follow_redirects=True)
    assert "désactivé(e) plutôt que supprimé(e)" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(model, used.id).active is False
    response = mod_client.post(f"/moderation/{kind}/{unused.id}/retirer", follow_redirects=True)
    assert "supprimé(e) : rien n&#39;y faisait référence" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(model, unused.id) is None
    table = model.__tablename__
    assert [e.action for e in events(app)] == [f"{table}.deactivated", f"{table}.deleted"]
    deleted = events(app, f"{table}.deleted")[0]
    assert deleted.before["name"] == unused.name


def test_retiring_an_already_deactivated_item_in_use_says_so(app, make, mod_client):
    category = make.category(active=False)
    make.listing(category_id=category.id)
    response = mod_client.post(
        f"/moderation/categories/{category.id}/retirer", follow_redirects=True
    )
    assert "déjà désactivé(e)" in response.get_data(as_text=True)
    assert events(app) == []


def test_a_deactivated_category_is_no_longer_offered_to_posters(app, make, mod_client):
    category = make.category(name="Vieilles lampes")
    make.listing(category_id=category.id)
    mod_client.post(f"/moderation/categories/{category.id}/retirer")
    agent = app.test_client()
    sign_in(agent, make.user())
    assert "Vieilles lampes" not in agent.get("/annonces/nouvelle").get_data(as_text=True)


def test_a_deactivated_service_is_no_longer_offered_in_the_profile(app, make, mod_client):
    service = make.service(name="Service dissous")
    make.user(service=service)
    mod_client.post(f"/moderation/services/{service.id}/retirer")
    agent = app.test_client()
    sign_in(agent, make.user())
    assert "Service dissous" not in agent.get("/profil").get_data(as_text=True)


def test_moderator_adds_a_service_to_an_organisation_and_a_site(app, make, mod_client):
    org = make.organisation(name="Ville")
    response = mod_client.post(
        "/moderation/services/nouveau",
        data={"name": "  Police   municipale ", "organisation_id": str(org.id), "active": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        service = db.session.execute(
            sa.select(Service).where(Service.organisation_id == org.id)
        ).scalar_one()
        assert service.name == "Police municipale"
        assert service.organisation_id == org.id
    response = mod_client.post(
        "/moderation/sites/nouveau",
        data={"name": "Gymnase Nord", "address": "2 rue du Stade", "active": "y"},
    )
    assert response.status_code == 302
    assert [e.action for e in events(app)] == ["service.created", "site.created"]
    html = mod_client.get("/moderation/services").get_data(as_text=True)
    assert "Police municipale" in html
    assert "Gymnase Nord" in mod_client.get("/moderation/sites").get_data(as_text=True)


def test_same_service_name_is_allowed_in_two_organisations_but_not_twice_in_one(
    app, make, mod_client
):
    agglo, ville = make.organisation(name="Agglo"), make.organisation(name="Ville")
    make.service(name="Sports", organisation=agglo)
    ok = mod_client.post(
        "/moderation/services/nouveau",
        data={"name": "Sports", "organisation_id": str(ville.id), "active": "y"},
    )
    assert ok.status_code == 302
    twice = mod_client.post(
        "/moderation/services/nouveau",
        data={"name": "SPORTS", "organisation_id": str(ville.id), "active": "y"},
    )
    assert twice.status_code == 422
    assert "Cette collectivité a déjà un service de ce nom." in twice.get_data(as_text=True)


def test_organisation_is_renamed_and_journaled(app, make, mod_client):
    org = make.organisation(name="Mairie")
    response = mod_client.post(
        f"/moderation/collectivites/{org.id}",
        data={"name": "Ville", "short_name": "Ville", "active": "y"},
    )
    assert response.status_code == 302
    (event,) = events(app, "organisation.updated")
    assert event.before == {"name": "Mairie", "short_name": ""}
    assert event.after == {"name": "Ville", "short_name": "Ville"}


def test_edit_forms_show_their_current_values(make, mod_client):
    site = make.site(name="Hôtel de ville")
    html = mod_client.get(f"/moderation/sites/{site.id}").get_data(as_text=True)
    assert 'value="Hôtel de ville"' in html
    assert mod_client.get("/moderation/sites/999999").status_code == 404


# --- CSV import -------------------------------------------------------------------------------

CSV = (
    "collectivité;service\n"
    "Communauté d'agglomération;Déchets et économie circulaire\n"
    "Communauté d'agglomération;Logistique\n"
    "Ville;Écoles\n"
)


def _upload(client, content: bytes, name="services.csv"):
    return client.post(
        "/moderation/services/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_csv_import_creates_organisations_and_services_once(app, mod_client):
    orgs, services = count_rows(app, Organisation), count_rows(app, Service)
    first = _upload(mod_client, CSV.encode())
    html = first.get_data(as_text=True)
    assert "2 collectivité(s) créée(s), 3 service(s) créé(s), 0 déjà présent(s)" in html
    assert count_rows(app, Organisation) == orgs + 2
    assert count_rows(app, Service) == services + 3
    second = _upload(mod_client, CSV.encode())
    assert "0 collectivité(s) créée(s), 0 service(s) créé(s), 3 déjà présent(s)" in (
        second.get_data(as_text=True)
    )
    assert count_rows(app, Service) == services + 3
    (event,) = events(app, "services.imported")
    assert event.after["services_created"] == 3
    assert event.actor_id is not None


def test_csv_import_matches_existing_names_ignoring_case(app, make, mod_client):
    ville = make.organisation(name="Ville")
    make.service(name="écoles", organisation=ville)
    orgs = count_rows(app, Organisation)
    _upload(mod_client, "Service,Collectivite\nÉCOLES,ville\nSports,VILLE\n".encode())
    with app.app_context():
        names = (
            db.session.execute(
                sa.select(Service.name)
                .where(Service.organisation_id == ville.id)
                .order_by(Service.name)
            )
            .scalars()
            .all()
        )
    assert names == ["Sports", "écoles"]
    assert count_rows(app, Organisation) == orgs


def test_csv_import_reads_a_windows_excel_file(app, mod_client):
    response = _upload(mod_client, CSV.encode("cp1252"))
    assert "3 service(s) créé(s)" in response.get_data(as_text=True)
    with app.app_context():
        assert scalar(app, sa.select(Service.id).where(Service.name == "Écoles")) is not None


@pytest.mark.parametrize(
    ("content", "errors"),
    [
        (
            "collectivité;service\nVille;Écoles\n;Sports\nVille;\n",
            [
                "Ligne 3 : le nom de la collectivité est vide.",
                "Ligne 4 : le nom du service est vide.",
            ],
        ),
        ("nom;prénom\nA;B\n", ["Ligne 1 : la première ligne doit nommer les colonnes"]),
        ("", ["Le fichier est vide."]),
        ("collectivité;service\n", ["Le fichier ne contient aucun service"]),
        ("collectivité;service\nVille;" + "x" * 161 + "\n", ["Ligne 2 : le nom du service"]),
    ],
    ids=["empty-cells", "wrong-header", "empty-file", "header-only", "too-long"],
)
def test_csv_import_with_errors_imports_nothing_and_lists_them_by_line(
    app, mod_client, content, errors
):
    services = count_rows(app, Service)
    response = mod_client.post(
        "/moderation/services/import",
        data={"file": (io.BytesIO(content.encode()), "services.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert "Rien n'a été importé" in html
    for error in errors:
        assert error in html
    assert count_rows(app, Service) == services
    assert events(app) == []


def test_csv_import_without_a_file_says_what_to_do(mod_client):
    response = mod_client.post("/moderation/services/import", data={})
    assert response.status_code == 422
    assert "Choisissez le fichier CSV à importer." in response.get_data(as_text=True)


def test_import_services_command_is_idempotent(app, runner, tmp_path):
    path = tmp_path / "services.csv"
    path.write_text(CSV, encoding="utf-8")
    first = runner.invoke(args=["reemploi", "import-services", str(path)])
    assert first.exit_code == 0, first.output
    assert "2 collectivité(s) créée(s), 3 service(s) créé(s)" in first.output
    second = runner.invoke(args=["reemploi", "import-services", str(path)])
    assert second.exit_code == 0
    assert "3 déjà présent(s)" in second.output
    assert count_rows(app, Service) == 3
    (event,) = events(app, "services.imported")
    assert event.actor_id is None


def test_import_services_command_reports_errors_with_line_numbers(app, runner, tmp_path):
    path = tmp_path / "services.csv"
    path.write_text("collectivité;service\nVille;Écoles\nVille;\n", encoding="utf-8")
    result = runner.invoke(args=["reemploi", "import-services", str(path)])
    assert result.exit_code == 1
    assert "Rien n'a été importé" in result.output
    assert "Ligne 3 : le nom du service est vide." in result.output
    assert count_rows(app, Service) == 0
    missing = runner.invoke(args=["reemploi", "import-services", str(tmp_path / "absent.csv")])
    assert missing.exit_code != 0 and "Fichier introuvable" in missing.output


@pytest.mark.parametrize("page", ["/profil", "/annonces/", "close"])
def test_services_of_an_inactive_organisation_are_no_longer_offered(app, make, page):
    from tests.conftest import sign_in

    gone = make.organisation(name="Syndicat dissous", active=False)
    make.service(name="Service du syndicat", organisation=gone)
    make.service(name="Service fermé", active=False)
    make.service(name="Service des sports")
    poster = make.user()
    listing = make.listing(poster=poster)
    client = sign_in(app.test_client(), poster)
    url = f"/annonces/{listing.id}/cloturer" if page == "close" else page
    html = client.get(url).get_data(as_text=True)
    assert "Service des sports" in html
    assert "Service du syndicat" not in html and "Service fermé" not in html
