"""Browsing: filters, French full-text search, htmx partials, pagination, fixed query counts."""

import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.listings.search import query_terms
from tests.conftest import sign_in


def titles(response) -> list[str]:
    return re.findall(
        r'<h2><a href="/annonces/\d+">([^<]*)</a></h2>', response.get_data(as_text=True)
    )


@pytest.fixture
def agent_client(client, make):
    sign_in(client, make.user())
    return client


@pytest.fixture
def catalogue(make):
    shelves = make.category(name="Rangements")
    furniture = make.category(name="Mobilier de bureau")
    return {
        "shelves": make.listing(
            title="Étagères métalliques", description="Cinq niveaux", category_id=shelves.id
        ),
        "desks": make.listing(
            title="Bureaux en chêne", description="Deux plateaux", category_id=furniture.id
        ),
        "chair": make.listing(
            title="Chaise pivotante", description="Assise réglable", category_id=furniture.id
        ),
        "pending": make.listing(title="Étagère en attente", status="pending"),
        "closed": make.listing(title="Étagère donnée", status="closed"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("etagere", ["Étagères métalliques"]),
        ("ÉTAGÈRES", ["Étagères métalliques"]),
        ("bureau", ["Bureaux en chêne", "Chaise pivotante"]),  # title, or category name
        ("bureaux chene", ["Bureaux en chêne"]),
        ("chaises", ["Chaise pivotante"]),
        ("mobilier", ["Bureaux en chêne", "Chaise pivotante"]),  # category name
        ("reglable", ["Chaise pivotante"]),  # description
        ("de la", ["Bureaux en chêne", "Chaise pivotante", "Étagères métalliques"]),
        ("armoire", []),
        ('"); DROP TABLE listing; --', []),
    ],
)
def test_search_folds_accents_case_and_plurals(agent_client, catalogue, query, expected):
    response = agent_client.get("/annonces/", query_string={"q": query})
    assert response.status_code == 200
    assert sorted(titles(response)) == sorted(expected)


def test_search_follows_edits_and_category_renames(app, agent_client, catalogue):
    from app.models import Category, Listing

    with app.app_context():
        chair = db.session.get(Listing, catalogue["chair"].id)
        chair.title = "Fauteuil pivotant"
        db.session.get(Category, catalogue["shelves"].category_id).name = "Archivage"
        db.session.commit()
    assert titles(agent_client.get("/annonces/?q=fauteuil")) == ["Fauteuil pivotant"]
    assert titles(agent_client.get("/annonces/?q=chaise")) == []
    assert titles(agent_client.get("/annonces/?q=archivage")) == ["Étagères métalliques"]


def test_query_terms_are_folded_and_bounded():
    assert query_terms("Les Étagères* de BUREAUX") == ["etagere", "bureau"]
    assert len(query_terms(" ".join(f"mot{i}" for i in range(30)))) == 8


def test_browse_shows_only_published_and_reserved(agent_client, make, catalogue):
    make.listing(title="Table réservée", status="reserved")
    html = agent_client.get("/annonces/").get_data(as_text=True)
    shown = titles(agent_client.get("/annonces/"))
    assert "Table réservée" in shown and "Réservée" in html
    assert "Étagère en attente" not in shown and "Étagère donnée" not in shown
    assert "4 annonces" in html


def test_filters_combine(agent_client, make):
    agglo = make.organisation(name="Agglo")
    ville = make.organisation(name="Ville")
    schools = make.service(name="Écoles", organisation=ville)
    comms = make.service(name="Communication", organisation=agglo)
    site = make.site(name="Hôtel de ville")
    teacher = make.user(service=schools)
    communicant = make.user(service=comms)
    make.listing(poster=teacher, title="Pupitres", site_id=site.id, condition="used")
    make.listing(poster=teacher, title="Tableau blanc", condition="good")
    make.listing(poster=communicant, title="Kakemonos", site_id=site.id, condition="used")
    assert sorted(titles(agent_client.get(f"/annonces/?organisation={ville.id}"))) == [
        "Pupitres",
        "Tableau blanc",
    ]
    assert titles(agent_client.get(f"/annonces/?service={comms.id}")) == ["Kakemonos"]
    assert sorted(titles(agent_client.get(f"/annonces/?site={site.id}&condition=used"))) == [
        "Kakemonos",
        "Pupitres",
    ]
    assert titles(
        agent_client.get(f"/annonces/?site={site.id}&organisation={ville.id}&condition=used")
    ) == ["Pupitres"]


def test_sort_by_soonest_available(agent_client, make):
    today = date.today()
    make.listing(title="Plus tard", available_from=today + timedelta(days=20))
    make.listing(title="Bientôt", available_from=today + timedelta(days=2))
    make.listing(title="Tout de suite", available_from=None)
    assert titles(agent_client.get("/annonces/?sort=available")) == [
        "Tout de suite",
        "Bientôt",
        "Plus tard",
    ]
    assert titles(agent_client.get("/annonces/"))[0] == "Tout de suite"  # newest first


def test_bad_filter_values_are_ignored_not_errors(agent_client, catalogue):
    response = agent_client.get("/annonces/?category=abc&site=-1&sort=evil&page=zz&q=" + "x" * 300)
    assert response.status_code == 200


def test_empty_result_says_so_and_suggests_widening(agent_client, catalogue):
    html = agent_client.get("/annonces/?q=piano").get_data(as_text=True)
    assert "Aucune annonce ne correspond à votre recherche." in html
    assert "retirez un filtre" in html


def test_htmx_request_gets_only_the_results_partial(agent_client, catalogue):
    response = agent_client.get("/annonces/?q=chaise", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html and "Chaise pivotante" in html
    assert "HX-Request" in response.headers["Vary"]
    plain = agent_client.get("/annonces/?q=chaise")
    assert "<html" in plain.get_data(as_text=True)
    assert "HX-Request" in plain.headers["Vary"]


def test_history_restore_gets_the_full_page(agent_client, catalogue):
    response = agent_client.get(
        "/annonces/?q=chaise",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.get_data(as_text=True)


def test_pagination_keeps_the_filters(make_app):
    app = make_app(LISTINGS_PER_PAGE=2)
    from tests.conftest import Factory

    make = Factory(app)
    category = make.category(name="Lampes")
    for i in range(5):
        make.listing(title=f"Lampe {i}", category_id=category.id)
    client = app.test_client()
    sign_in(client, make.user())
    first = client.get(f"/annonces/?category={category.id}").get_data(as_text=True)
    assert "Page 1 sur 3" in first
    assert f'href="/annonces/?page=2&amp;category={category.id}"' in first
    last = client.get(f"/annonces/?category={category.id}&page=3")
    assert titles(last) == ["Lampe 0"]
    assert len(titles(client.get(f"/annonces/?category={category.id}&page=99"))) == 1


# --- Fixed number of queries --------------------------------------------------------------------


@contextmanager
def count_queries(app):
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _fill(make, n, poster, category, site):
    for i in range(n):
        make.listing(title=f"Chaise {i}", poster=poster, category_id=category.id, site_id=site.id)


@pytest.mark.parametrize(
    "url",
    ["/annonces/", "/annonces/?q=chaise", "/annonces/?q=chaise&category={category}"],
)
def test_browse_runs_the_same_number_of_queries_for_3_or_20_results(app, make, url):
    poster = make.user()
    category, site = make.category(), make.site()
    client = app.test_client()
    sign_in(client, make.user())
    url = url.format(category=category.id)
    _fill(make, 3, poster, category, site)
    with count_queries(app) as few:
        assert client.get(url).status_code == 200
    _fill(make, 17, poster, category, site)
    with count_queries(app) as many:
        assert len(titles(client.get(url))) == 20
    assert len(few) == len(many) <= 14


def test_listing_page_runs_a_fixed_number_of_queries(app, make):
    from app.models import Photo
    from app.photos import store_photo
    from tests.conftest import image_bytes

    poster = make.user()
    client = app.test_client()
    sign_in(client, make.user())
    one = make.listing(poster=poster)
    many = make.listing(poster=poster)
    with app.test_request_context():
        for position in range(5):
            stored = store_photo(image_bytes())
            db.session.add(
                Photo(
                    listing_id=many.id if position else one.id,
                    uploaded_by_id=poster.id,
                    stored_name=stored.stored_name,
                    position=position,
                )
            )
        db.session.commit()
    with count_queries(app) as first:
        client.get(f"/annonces/{one.id}")
    with count_queries(app) as second:
        client.get(f"/annonces/{many.id}")
    assert len(first) == len(second) <= 10


def test_search_finds_a_listing_only_while_it_is_online(app, agent_client, make):
    from app.models import Listing

    listing = make.listing(title="Vestiaire métallique", status="pending")
    assert titles(agent_client.get("/annonces/?q=vestiaire")) == []
    for status, found in (("published", True), ("reserved", True), ("closed", False)):
        with app.app_context():
            db.session.get(Listing, listing.id).status = status
            db.session.commit()
        assert (titles(agent_client.get("/annonces/?q=vestiaire")) == ["Vestiaire métallique"]) is (
            found
        ), status


def test_cached_results_follow_every_change_to_what_they_show(app, agent_client, make):
    from app.models import Category, Listing

    listing = make.listing(title="Paravent acoustique")
    assert titles(agent_client.get("/annonces/")) == ["Paravent acoustique"]
    assert titles(agent_client.get("/annonces/")) == ["Paravent acoustique"]  # from the cache
    with app.app_context():
        db.session.get(Listing, listing.id).title = "Paravent de réunion"
        db.session.commit()
    assert titles(agent_client.get("/annonces/")) == ["Paravent de réunion"]
    with app.app_context():
        db.session.get(Category, listing.category_id).name = "Cloisons"
        db.session.commit()
    assert "Cloisons" in agent_client.get("/annonces/").get_data(as_text=True)
    make.listing(title="Second paravent")
    assert len(titles(agent_client.get("/annonces/"))) == 2


def test_a_cached_page_runs_two_queries(app, agent_client, make):
    make.listing(title="Chaise")
    agent_client.get("/annonces/?q=chaise")
    with count_queries(app) as statements:
        assert titles(agent_client.get("/annonces/?q=chaise")) == ["Chaise"]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2  # the signed-in user and the change counter
