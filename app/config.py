"""Default settings; instance/config.py and FLASK_* environment variables override them."""

from datetime import timedelta


class Defaults:
    APP_NAME = "Réemploi"
    APP_TAGLINE = "Les objets dont votre service n'a plus besoin, pour un autre service"
    BRAND_COLOR = "#00665e"
    LOGO_URL = None  # e.g. "/static/img/logo.svg"; None shows the application name only
    SECRET_KEY = None
    DEVELOPMENT = False  # True only for `make run`: plain-HTTP cookies, /dev/courriels

    SQLALCHEMY_DATABASE_URI = None  # None: SQLite file in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLITE_BUSY_TIMEOUT_MS = 15000

    AUTH_MODE = "local"  # "local" or "remote_user"
    REMOTE_USER_HEADER = None  # e.g. "X-Remote-User"; only trusted from TRUSTED_PROXIES
    TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    REMOTE_USER_EMAIL_DOMAIN = None  # appended to a bare login name ("jdupont" -> "jdupont@…")
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0
    PROXY_FIX_X_HOST = 0
    PROXY_FIX_X_PREFIX = 0
    SIGNIN_MAX_FAILURES = 5
    SIGNIN_FAILURE_WINDOW_MINUTES = 15

    SESSION_COOKIE_SECURE = None  # None: True unless DEVELOPMENT
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "reemploi_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=10)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = None  # None: same as SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    MAX_CONTENT_LENGTH = 40 * 1024 * 1024
    UPLOAD_FOLDER = None  # None: instance/uploads
    MAX_PHOTOS = 6
    MAX_IMAGE_PIXELS = 40_000_000

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ["fr", "en"]

    BASE_URL = "http://127.0.0.1:5000"
    MAIL_SERVER = None  # None: emails stay in the outbox (see /dev/courriels in development)
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "reemploi@localhost"
    MAIL_TIMEOUT = 10
    MAIL_CA_FILE = None
    MAIL_SUBJECT_PREFIX = "[Réemploi]"
    MAIL_RETRY_BASE_SECONDS = 60  # first retry after 1 min, then 2, 4, 8… (at most 6 hours)
    MAIL_MAX_ATTEMPTS = 20  # then the email is marked failed and shown to moderators
    MAIL_LEASE_SECONDS = 300  # a row left "sending" by a killed worker is taken again after this
    MODERATION_EMAILS: list[str] = []
    CONTACTS_PER_HOUR = 10  # contacts one agent may make in an hour

    REMODERATE_ON_EDIT = True
    LISTINGS_PER_PAGE = 24

    MODERATION_DIGEST_DELAY_HOURS = 24  # notify-moderators lists listings pending longer
    MODERATION_PAGE_SIZE = 50  # rows per page of the journal and the user list
