"""A per-process cache of rendered page fragments that are the same for everyone who may see
them: the browse page's filters and results, the shared parts of a listing page, the
moderators' dashboard.

An entry is reused only while the database's change counter (bumped by triggers on listings,
transfers, photos and reference data) is unchanged, and for at most TTL seconds so that
"il y a 5 minutes" and "this month" stay true. Nothing personal is ever cached.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

from flask import current_app, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event

from .extensions import db
from .models import ChangeCounter

VERSION = "reemploi_data_version"
WROTE = "reemploi_wrote"
# Random per process (as the cache is), so no stored text can ever contain it.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
TTL_SECONDS = 60
MAX_ENTRIES = 512
# About 4 to 8 MB of text per worker at most, whatever the pages' sizes.
MAX_CHARACTERS = 4_000_000


class FragmentCache:
    """A small LRU of rendered HTML, keyed by the request and valid for one data version."""

    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        ttl: float = TTL_SECONDS,
        max_characters: int = MAX_CHARACTERS,
    ):
        self.max_entries, self.ttl, self.max_characters = max_entries, ttl, max_characters
        self._entries: OrderedDict[tuple, tuple[int, float, str]] = OrderedDict()
        self._characters = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: tuple) -> None:
        self._characters -= len(self._entries.pop(key)[2])

    def get(self, key: tuple, version: int) -> Markup | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            entry_version, stored_at, html = entry
            if entry_version != version or time.monotonic() - stored_at > self.ttl:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
        # Our own template output, autoescaped when it was rendered: safe to embed as is.
        return Markup(html)  # noqa: S704

    def put(self, key: tuple, version: int, html: str) -> Markup:
        text = str(html)
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (version, time.monotonic(), text)
            self._characters += len(text)
            while len(self._entries) > self.max_entries or (
                self._characters > self.max_characters and len(self._entries) > 1
            ):
                self._drop(next(iter(self._entries)))
        return Markup(html)  # noqa: S704

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._characters = 0


def fragment_cache() -> FragmentCache:
    """This application's cache (one per app, so tests never share one)."""
    return current_app.extensions.setdefault("reemploi_fragment_cache", FragmentCache())


def fragment_key(name: str, *parts) -> tuple:
    """What a fragment depends on: its name and parts, the sub-path and the language."""
    return (name, request.script_root, str(get_locale()), *parts)


def request_key(name: str) -> tuple:
    """The key of a fragment that depends on the query string too (browse, dashboard)."""
    return fragment_key(name, tuple(sorted(request.args.items(multi=True)))[:20])


def cached_fragment(name: str, render) -> Markup:
    """The fragment for this request, rendered by `render()` only when the cache has none."""
    return cached(request_key(name), render)


def cached(key: tuple, render) -> Markup:
    """The fragment stored under `key` for the current data, rendered when missing.

    A transaction that has written sees data nobody else sees yet (and may roll back): it
    renders for itself and neither reads nor fills the cache.
    """
    if db.session.info.get(WROTE):
        return Markup(render())  # noqa: S704 -- our own autoescaped template output
    cache = fragment_cache()
    version = data_version()
    html = cache.get(key, version)
    if html is None:
        html = cache.put(key, version, render())
    return html


def csrf_placeholder() -> str:
    """Stands for the reader's CSRF token in a fragment shared by several users."""
    return CSRF_PLACEHOLDER


def with_csrf_token(html: Markup) -> Markup:
    """A shared fragment with this user's CSRF token where the placeholder stands."""
    return Markup(str(html).replace(CSRF_PLACEHOLDER, generate_csrf()))  # noqa: S704


def data_version() -> int:
    """The current value of the change counter: one primary-key read per transaction."""
    info = db.session.info
    if VERSION not in info:
        info[VERSION] = (
            db.session.execute(
                db.select(ChangeCounter.value).where(ChangeCounter.name == "browse")
            ).scalar_one_or_none()
            or 0
        )
    return info[VERSION]


@event.listens_for(db.session, "after_flush")
def _mark_written(session, flush_context) -> None:
    """This transaction's own writes (and the counter its triggers bumped) are not shared."""
    session.info[WROTE] = True


@event.listens_for(db.session, "after_commit")
@event.listens_for(db.session, "after_rollback")
def _forget_version(session) -> None:
    """A new transaction may see other data: read the counter again."""
    session.info.pop(VERSION, None)
    session.info.pop(WROTE, None)
