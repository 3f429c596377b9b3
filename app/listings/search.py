"""French full-text search over title, description and category, on SQLite and PostgreSQL.

Accents and case are folded and plurals tolerated: every word of the query matches as a prefix
once a final "s" or "x" is dropped ("etageres" finds "Étagère", "bureau" finds "Bureaux").
SQLite uses the FTS5 table `listing_fts` (unicode61, diacritics removed); PostgreSQL the table
`listing_fts` holding a `french` tsvector of the accent-folded text. Both are kept in sync by
database triggers created in the migrations, so every writer (app, CLI, bulk loads) is covered.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..models import Listing

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 8
STOP_WORDS = frozenset("a au aux avec ce ces d de des du en et l la le les pour sur un une".split())


def fold(text: str) -> str:
    """Lower-case text without its accents: 'Étagères' -> 'etageres'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_terms(text: str) -> list[str]:
    """The words of a query, folded, with a plural ending dropped; at most MAX_TERMS."""
    terms = []
    for word in _WORD.findall(fold(text or "")):
        word = word.replace("_", "")
        if len(word) > 3 and word[-1] in "sx":
            word = word[:-1]
        if len(word) >= 2 and word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def matching_listing_ids(text: str) -> ColumnElement | None:
    """A condition on Listing.id for the listings that match every word, or None if no word."""
    terms = query_terms(text)
    if not terms:
        return None
    if db.engine.dialect.name == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        subquery = sa.text(
            "SELECT listing_id FROM listing_fts WHERE document @@ to_tsquery('french', :tsquery)"
        ).bindparams(tsquery=tsquery)
    else:
        match = " ".join(f'"{term}"*' for term in terms)
        subquery = sa.text(
            "SELECT rowid FROM listing_fts WHERE listing_fts MATCH :match"
        ).bindparams(match=match)
    return Listing.id.in_(subquery.columns(sa.column("listing_id", sa.Integer)))
