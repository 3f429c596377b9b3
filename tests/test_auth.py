"""Sign-in in both modes, sessions, sign-out and the profile."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import SignInAttempt, User
from tests.conftest import PASSWORD, count_rows, sign_in


def test_sign_in_page_is_french(client):
    response = client.get("/connexion")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Adresse e-mail professionnelle" in html
    assert "Se connecter" in html


def test_agent_signs_in_and_lands_on_the_listings(client, make):
    user = make.user()
    response = client.post("/connexion", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/annonces/"
    assert client.get("/annonces/").status_code == 200


def test_wrong_password_is_refused_in_french_and_keeps_the_email(client, make):
    user = make.user()
    response = client.post("/connexion", data={"email": user.email, "password": "wrong"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Adresse e-mail ou mot de passe incorrect" in html
    assert f'value="{user.email}"' in html
    assert client.get("/annonces/").status_code == 302


def test_empty_fields_say_what_is_missing(client):
    response = client.post("/connexion", data={"email": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Indiquez votre adresse e-mail." in html
    assert "Indiquez votre mot de passe." in html


def test_inactive_user_cannot_sign_in(client, make):
    user = make.user(active=False)
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 422


def test_failed_sign_ins_are_counted_in_the_database_and_slowed_down(app, client, make):
    user = make.user()
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        client.post("/connexion", data={"email": user.email, "password": "nope"})
    assert count_rows(app, SignInAttempt) == app.config["SIGNIN_MAX_FAILURES"]
    # Even the right password waits now, from any worker, since the count is in the database.
    other_client = app.test_client()
    response = other_client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)


def test_sign_in_clears_the_previous_session(client, make):
    user = make.user()
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    sign_in(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"]


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "\x00/annonces/",
    ],
)
def test_next_never_leaves_the_site(client, make, target):
    user = make.user()
    response = client.post(
        "/connexion",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == "/annonces/"


def test_next_on_this_site_is_followed(client, make):
    user = make.user()
    response = client.post(
        "/connexion?next=/profil",
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.location == "/profil"


def test_anonymous_page_request_goes_to_sign_in_with_next(client):
    response = client.get("/annonces/?q=chaise")
    assert response.status_code == 302
    assert response.location.startswith("/connexion?next=")
    assert "chaise" in response.location


def test_anonymous_htmx_request_gets_hx_redirect_not_a_fragment(client):
    response = client.get("/annonces/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/connexion?next=")
    assert response.get_data() == b""


def test_sign_out_rotates_the_token_so_an_old_cookie_is_refused(app, client, make):
    user = make.user()
    sign_in(client, user)
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert client.post("/deconnexion").status_code == 302
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    assert replay.get("/annonces/").status_code == 302


def test_sign_out_needs_a_post(client, make):
    sign_in(client, make.user())
    assert client.get("/deconnexion").status_code == 405


def test_remember_me_cookie_is_short_lived_and_revoked_on_sign_out(app, client, make):
    user = make.user()
    client.post("/connexion", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.http_only
    assert remember.expires is not None
    client.post("/deconnexion")
    assert client.get_cookie("remember_token") is None  # deleted from the browser too
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/annonces/").status_code == 302


def test_deactivation_ends_an_open_session(app, client, make):
    user = make.user()
    sign_in(client, user)
    assert client.get("/annonces/").status_code == 200
    with app.app_context():
        db_user = db.session.get(User, user.id)
        db_user.active = False
        db_user.rotate_auth_token()
        db.session.commit()
    assert client.get("/annonces/").status_code == 302


def test_profile_update_keeps_input_and_explains_errors(client, make):
    user = make.user()
    sign_in(client, user)
    response = client.post(
        "/profil", data={"name": "", "phone": "06 <script>", "service_id": user.service_id}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Indiquez votre prénom et votre nom." in html
    assert "Chiffres, espaces et + ( ) . - seulement." in html
    assert "06 &lt;script&gt;" in html


def test_profile_update_is_saved(app, client, make):
    user = make.user()
    other_service = make.service(name="Espaces verts")
    sign_in(client, user)
    response = client.post(
        "/profil",
        data={"name": "Camille Roy", "phone": "05 49 00 00 00", "service_id": other_service.id},
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.name, saved.phone, saved.service_id) == (
            "Camille Roy",
            "05 49 00 00 00",
            other_service.id,
        )


def test_language_switch_shows_english_then_french(client, make):
    sign_in(client, make.user())
    client.post("/langue/en", data={"next": "/profil"})
    assert "My profile" in client.get("/profil").get_data(as_text=True)
    client.post("/langue/fr", data={"next": "/profil"})
    assert "Mon profil" in client.get("/profil").get_data(as_text=True)


# --- remote_user mode -----------------------------------------------------------------------


@pytest.fixture
def remote_app(make_app):
    return make_app(
        AUTH_MODE="remote_user",
        REMOTE_USER_HEADER="X-Remote-User",
        TRUSTED_PROXIES=["10.0.0.5"],
        REMOTE_USER_EMAIL_DOMAIN="agglo.example",
    )


def test_remote_user_from_the_web_server_is_signed_in(remote_app, make):
    factory = type(make)(remote_app)
    user = factory.user(email="jdupont@agglo.example")
    client = remote_app.test_client()
    response = client.get("/annonces/", environ_base={"REMOTE_USER": "AGGLO\\JDupont"})
    assert response.status_code == 200
    assert user.name in client.get("/profil", environ_base={"REMOTE_USER": "jdupont"}).get_data(
        as_text=True
    )


def test_unknown_remote_user_is_created_and_asked_for_a_profile_once(remote_app, make):
    factory = type(make)(remote_app)
    service = factory.service(name="Piscine")
    client = remote_app.test_client()
    env = {"REMOTE_USER": "new.agent@agglo.example"}
    response = client.get("/annonces/", environ_base=env)
    assert response.status_code == 302
    assert response.location.startswith("/bienvenue")
    response = client.post(
        "/bienvenue",
        data={"name": "Nouvel Agent", "phone": "", "service_id": service.id},
        environ_base=env,
    )
    assert response.status_code == 302
    assert client.get("/annonces/", environ_base=env).status_code == 200
    with remote_app.app_context():
        created = db.session.execute(
            sa.select(User).where(User.email == "new.agent@agglo.example")
        ).scalar_one()
        assert created.password_hash is None
        assert created.service_id == service.id


def test_remote_user_header_sent_directly_by_a_client_is_ignored(remote_app, make):
    type(make)(remote_app).user(email="boss@agglo.example")
    client = remote_app.test_client()
    response = client.get(
        "/annonces/",
        headers={"X-Remote-User": "boss@agglo.example", "Remote-User": "boss@agglo.example"},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    assert response.status_code == 401
    assert "Identification nécessaire" in response.get_data(as_text=True)


def test_remote_user_header_from_the_trusted_proxy_is_used(remote_app, make):
    type(make)(remote_app).user(email="boss@agglo.example")
    client = remote_app.test_client()
    response = client.get(
        "/annonces/",
        headers={"X-Remote-User": "boss"},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    assert response.status_code == 200


def test_local_password_sign_in_is_off_in_remote_user_mode(remote_app, make):
    user = type(make)(remote_app).user(email="x@agglo.example")
    client = remote_app.test_client()
    env = {"REMOTE_USER": "x@agglo.example"}
    assert client.get("/connexion", environ_base=env).status_code == 404
    response = client.post(
        "/connexion", data={"email": user.email, "password": PASSWORD}, environ_base=env
    )
    assert response.status_code == 404


def test_deactivated_remote_user_is_refused(remote_app, make):
    type(make)(remote_app).user(email="gone@agglo.example", active=False)
    client = remote_app.test_client()
    response = client.get("/annonces/", environ_base={"REMOTE_USER": "gone@agglo.example"})
    assert response.status_code == 403


def test_identity_change_at_the_web_server_switches_the_session(remote_app, make):
    factory = type(make)(remote_app)
    factory.user(email="a@agglo.example", name="Alice Agent")
    factory.user(email="b@agglo.example", name="Bruno Agent")
    client = remote_app.test_client()
    assert "Alice Agent" in client.get(
        "/profil", environ_base={"REMOTE_USER": "a@agglo.example"}
    ).get_data(as_text=True)
    html = client.get("/profil", environ_base={"REMOTE_USER": "b@agglo.example"}).get_data(
        as_text=True
    )
    assert "Bruno Agent" in html and "Alice Agent" not in html


def test_sign_ins_and_denials_are_logged_on_one_line_without_secrets(client, make, caplog):
    user = make.user()
    with caplog.at_level("INFO", logger="reemploi.security"):
        client.post("/connexion", data={"email": "x@y.fr\r\nforged: 1", "password": "s3cret!"})
        sign_in(client, user)
        client.get("/n-existe-pas")
        client.get("/profil", headers={"HX-Request": "true"})
    lines = [r.getMessage() for r in caplog.records if r.name == "reemploi.security"]
    assert any(line.startswith("signin.failed") for line in lines)
    assert any(line.startswith(f"signin.ok email={user.email}") for line in lines)
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert any("\\r\\n" in line for line in lines)
    assert not any("s3cret" in line or PASSWORD in line for line in lines)


def test_the_language_chosen_before_signing_in_stays_after(app, make):
    user = make.user()
    client = app.test_client()
    client.post("/langue/en")
    assert 'lang="en"' in client.get("/connexion").get_data(as_text=True)
    sign_in(client, user)
    html = client.get("/annonces/").get_data(as_text=True)
    assert 'lang="en"' in html and "Sign out" in html
    client.post("/deconnexion")
    assert 'lang="en"' in client.get("/connexion").get_data(as_text=True)
