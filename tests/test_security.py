"""Headers, CSRF, error pages, upload size and the sub-path deployment."""

import re

import pytest

from tests.conftest import PASSWORD, sign_in

REQUIRED_CSP = [
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]


def _get_routes(app):
    """Every GET route without URL parameters, the ones a header check can reach as is."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            yield rule.rule


def test_every_route_sends_the_security_headers(app, client, make):
    sign_in(client, make.moderator())
    routes = sorted(set(_get_routes(app))) + ["/static/css/app.css", "/n-existe-pas"]
    assert len(routes) >= 6
    for route in routes:
        response = client.get(route)
        csp = response.headers.get("Content-Security-Policy", "")
        for directive in REQUIRED_CSP:
            assert directive in csp, (route, csp)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff", route
        assert response.headers["Referrer-Policy"] == "same-origin", route
        if route not in ("/healthz", "/theme.css") and not route.startswith("/static/"):
            assert response.headers.get("Cache-Control") == "no-store", route
        response.close()


def test_anonymous_pages_send_the_headers_too(client):
    for route in ("/connexion", "/healthz", "/annonces/"):
        response = client.get(route)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script_or_style(client, make):
    sign_in(client, make.user())
    for route in ("/connexion", "/annonces/", "/profil", "/annonces/nouvelle", "/mes-annonces"):
        html = client.get(route).get_data(as_text=True)
        assert '="None"' not in html, route
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), route
        assert "<style" not in html and "style=" not in html, route
        assert not re.search(r"\son[a-z]+=", html), route


def test_htmx_is_configured_for_the_csp(client):
    html = client.get("/connexion").get_data(as_text=True)
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html).group(1)
    for setting in (
        '"allowEval": false',
        '"includeIndicatorStyles": false',
        '"selfRequestsOnly": true',
        '"historyCacheSize": 0',
    ):
        assert setting in meta
    assert "/static/vendor/htmx.min.js" in html


def test_healthz_answers_ok_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/n-existe-pas", 404, "Page introuvable"),
        ("/deconnexion", 405, "Action impossible"),
    ],
)
def test_error_pages_are_french(client, make, path, status, text):
    sign_in(client, make.user())
    response = client.get(path)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_htmx_error_goes_to_the_flash_area(client, make):
    sign_in(client, make.user())
    response = client.get("/n-existe-pas", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flashes"
    assert "<html" not in response.get_data(as_text=True)


def test_too_large_request_gets_a_french_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/connexion", data={"email": "x" * 4000, "password": "y"})
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.get_data(as_text=True)


def test_server_error_page_is_french_and_hides_details(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Erreur du serveur" in html and "secret detail" not in html


# --- CSRF -------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def test_post_without_csrf_token_is_refused(csrf_app):
    factory_user = _user(csrf_app)
    response = csrf_app.test_client().post(
        "/connexion", data={"email": factory_user.email, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Requête incorrecte" in response.get_data(as_text=True)


def test_post_with_the_form_token_succeeds(csrf_app):
    user = _user(csrf_app)
    client = csrf_app.test_client()
    html = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        "/connexion", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_htmx_requests_carry_the_token_in_a_header(csrf_app):
    user = _user(csrf_app)
    client = csrf_app.test_client()
    html = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', html).group(1)
    client.post("/connexion", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert client.post("/deconnexion", headers={"HX-Request": "true"}).status_code == 400
    body = client.get("/profil").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', body).group(1)
    response = client.post(
        "/deconnexion", headers={"HX-Request": "true", "X-CSRFToken": header_token}
    )
    assert response.status_code == 302


def _user(app):
    from tests.conftest import Factory

    return Factory(app).user()


# --- Sub-path deployment ------------------------------------------------------------------------


def test_every_link_form_and_asset_follows_the_sub_path(client, make):
    user = make.user()
    base = "http://localhost/reemploi/"
    page = client.get("/connexion", base_url=base)
    html = page.get_data(as_text=True)
    assert 'action="/reemploi/connexion"' in html
    assert 'href="/reemploi/static/css/app.css"' in html
    assert 'src="/reemploi/static/vendor/htmx.min.js"' in html
    for url in re.findall(r'(?:href|src|action)="(/[^"]*)"', html):
        assert url.startswith("/reemploi/"), url
    response = client.post(
        "/connexion", base_url=base, data={"email": user.email, "password": PASSWORD}
    )
    assert response.location == "/reemploi/annonces/"
    listing_page = client.get("/annonces/", base_url=base).get_data(as_text=True)
    for url in re.findall(r'(?:href|src|action|hx-get|hx-post)="(/[^"]*)"', listing_page):
        assert url.startswith("/reemploi/"), url
    with client.get("/static/css/app.css", base_url=base) as css:
        assert css.status_code == 200


def test_anonymous_redirect_keeps_the_sub_path(client):
    response = client.get("/annonces/", base_url="http://localhost/reemploi/")
    assert response.location.startswith("/reemploi/connexion?next=")
    assert "%2Freemploi%2Fannonces%2F" in response.location or "/reemploi/annonces/" in (
        response.location
    )
