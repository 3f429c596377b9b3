"""Réemploi — settings of one installation.

Copy this file to instance/config.py and keep the lines you change. Every key can also be set by an
environment variable prefixed with FLASK_ (FLASK_MAIL_SERVER=smtp.example.org); values are read as
JSON when they parse (FLASK_MAIL_PORT=587, FLASK_MAIL_USE_TLS=true), else as text.
Order: built-in defaults < this file < FLASK_* variables.
"""

# --- Identity and branding -----------------------------------------------------------------
APP_NAME = "Réemploi"  # shown in the header, titles and emails
APP_TAGLINE = "Les objets dont votre service n'a plus besoin, pour un autre service"
BRAND_COLOR = "#00665e"  # header colour (#rrggbb); keep white text readable (AA contrast)
LOGO_URL = None  # e.g. "/reemploi/static/img/logo.svg"; None shows APP_NAME only

# --- Secrets and mode ----------------------------------------------------------------------
SECRET_KEY = "change-me"  # noqa: S105 -- long random string; `make run` writes one; never share it
DEVELOPMENT = False  # True only on a developer's machine: plain-HTTP cookies, /dev/courriels

# --- Database --------------------------------------------------------------------------------
SQLALCHEMY_DATABASE_URI = None  # None: SQLite file instance/reemploi.sqlite
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://reemploi:secret@db.intranet/reemploi"
SQLALCHEMY_ENGINE_OPTIONS = {}  # e.g. {"pool_size": 5, "max_overflow": 5, "pool_pre_ping": True}
SQLITE_BUSY_TIMEOUT_MS = 15000  # how long a SQLite writer waits for another one

# --- Sign-in ---------------------------------------------------------------------------------
AUTH_MODE = "local"  # "local" (email + password) or "remote_user" (the intranet signs users in)
REMOTE_USER_HEADER = None  # e.g. "X-Remote-User", read only from TRUSTED_PROXIES
TRUSTED_PROXIES = ["127.0.0.1", "::1"]  # addresses of the web server that sets that header
REMOTE_USER_EMAIL_DOMAIN = None  # "agglo.example": login "jdupont" becomes jdupont@agglo.example
PROXY_FIX_X_FOR = 0  # number of proxies in front of the app that set X-Forwarded-For
PROXY_FIX_X_PROTO = 0  # … X-Forwarded-Proto (set 1 behind an HTTPS reverse proxy)
PROXY_FIX_X_HOST = 0  # … X-Forwarded-Host
PROXY_FIX_X_PREFIX = 0  # … X-Forwarded-Prefix (sub-path given by the proxy)
SIGNIN_MAX_FAILURES = 5  # failed sign-ins per address before waiting
SIGNIN_FAILURE_WINDOW_MINUTES = 15  # … within this many minutes

# --- Sessions and cookies ----------------------------------------------------------------------
SESSION_COOKIE_SECURE = None  # None: secure (HTTPS only) unless DEVELOPMENT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "reemploi_session"
# PERMANENT_SESSION_LIFETIME = timedelta(hours=10)  (from datetime import timedelta)
PERMANENT_SESSION_LIFETIME = 36000  # seconds a session lasts
REMEMBER_COOKIE_DURATION = 1209600  # seconds "rester connecté" lasts (14 days)
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = None  # None: same as SESSION_COOKIE_SECURE
WTF_CSRF_TIME_LIMIT = None  # None: a form's token lasts as long as the session

# --- Uploads ---------------------------------------------------------------------------------
MAX_CONTENT_LENGTH = 40 * 1024 * 1024  # bytes per request (all photos of one form)
UPLOAD_FOLDER = None  # None: instance/uploads; shared storage when several servers run
MAX_PHOTOS = 6  # photos per listing
MAX_IMAGE_PIXELS = 40_000_000  # larger images are refused (decompression bombs)

# --- Language and time -----------------------------------------------------------------------
BABEL_DEFAULT_LOCALE = "fr"
BABEL_DEFAULT_TIMEZONE = "Europe/Paris"  # times are stored in UTC and shown in this zone
LANGUAGES = ["fr", "en"]  # offered in the footer

# --- Email -------------------------------------------------------------------------------------
BASE_URL = "http://127.0.0.1:5000"  # public address of the app, used for links in emails
MAIL_SERVER = None  # None: emails stay in the outbox (visible at /dev/courriels in development)
MAIL_PORT = 25
MAIL_USE_TLS = False  # STARTTLS
MAIL_USE_SSL = False  # SMTPS (port 465)
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "reemploi@localhost"  # e.g. "Réemploi <reemploi@agglo.example>"
MAIL_TIMEOUT = 10  # seconds before an SMTP server is given up (the email is retried later)
MAIL_CA_FILE = None  # CA bundle to verify the SMTP server's certificate (None: system CAs)
MAIL_SUBJECT_PREFIX = "[Réemploi]"  # put before every subject ("" for none)
MAIL_RETRY_BASE_SECONDS = 60  # an email the server did not take is retried after 1 min, 2, 4, 8…
MAIL_MAX_ATTEMPTS = 20  # … (at most 6 hours apart), then marked failed for the moderators
MAIL_LEASE_SECONDS = 300  # an email left "sending" by a stopped worker is taken again after this
MODERATION_EMAILS = []  # copied on contacts; empty: every active moderator
CONTACTS_PER_HOUR = 10  # contacts ("Je suis intéressé(e)") one agent may send in an hour

# --- Listings --------------------------------------------------------------------------------
REMODERATE_ON_EDIT = True  # an edit of a published listing sends it back to moderation
LISTINGS_PER_PAGE = 24

# --- Moderation ------------------------------------------------------------------------------
MODERATION_DIGEST_DELAY_HOURS = 24  # notify-moderators lists the listings pending longer (hours)
MODERATION_PAGE_SIZE = 50  # rows per page of the journal and of the user list
