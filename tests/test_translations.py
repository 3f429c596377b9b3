"""The English catalog covers every French string of the source, and English pages read English.

A French string added to app/ or templates/ without its English translation in
translations/en/LC_MESSAGES/messages.po fails here, with the strings named. To fix it:

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
        -o translations/messages.pot .
    .venv/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
    # translate the new entries in translations/en/LC_MESSAGES/messages.po, then `make`
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.conftest import Factory, sign_in

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# The keywords passed to `pybabel extract` (README, Development): Babel's defaults plus the
# lazy forms the code imports from flask_babel.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
GETTEXT_FUNCTIONS = {
    "gettext",
    "ngettext",
    "pgettext",
    "npgettext",
    "lazy_gettext",
    "lazy_ngettext",
}

# %(name)s, %(n)d, %s, %% … and str.format fields {name}, {0}, {name:>3}.
PERCENT = re.compile(r"%(?:\((\w+)\))?[#0 +\-]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa%])")
BRACES = re.compile(r"(?<!\{)\{([\w.\[\]]*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


@cache
def source_messages() -> dict[object, list[str]]:
    """msgid (a tuple for plurals) -> where it is used, extracted as `pybabel extract` does."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[object, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else tuple(message[:2])
        if msgid and (isinstance(msgid, str) or msgid[0]):
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


@cache
def english_catalog():
    with open(PO_FILE, "rb") as f:
        return read_po(f, locale="en")


def placeholders(text: str) -> tuple[set[tuple[str, str]], set[str]]:
    named = {(m.group(1) or "", m.group(2)) for m in PERCENT.finditer(text) if m.group(2) != "%"}
    return named, set(BRACES.findall(text))


def test_the_code_imports_gettext_only_under_extracted_names():
    """`from flask_babel import ngettext as _n` would hide strings from the extraction."""
    pattern = re.compile(r"from flask_babel import ([^\n(]+|\([^)]*\))")
    unknown = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for imported in pattern.findall(path.read_text(encoding="utf-8")):
            for part in imported.strip("()").split(","):
                name, _, alias = part.strip().partition(" as ")
                if name.strip() in GETTEXT_FUNCTIONS and (alias or name).strip() not in KEYWORDS:
                    unknown.append(f"{path.relative_to(ROOT)}: {part.strip()}")
    assert not unknown, "add these names to KEYWORDS and to the README's extract command"


def test_every_source_string_has_an_english_translation():
    catalog = english_catalog()
    assert catalog.locale.language == "en"
    assert catalog.num_plurals == 2
    messages = source_messages()
    assert len(messages) > 500, "the extraction found suspiciously few strings"
    missing = []
    for msgid, where in messages.items():
        entry = catalog.get(msgid)
        if entry is None:
            missing.append(f"{where[0]}: {msgid!r} is not in the catalog")
        elif entry.fuzzy:
            missing.append(f"{where[0]}: {msgid!r} is fuzzy")
        elif isinstance(msgid, tuple) != entry.pluralizable:
            missing.append(f"{where[0]}: {msgid!r} changed between singular and plural")
        else:
            strings = entry.string if entry.pluralizable else (entry.string,)
            expected = catalog.num_plurals if entry.pluralizable else 1
            if len(strings) != expected or not all(s.strip() for s in strings):
                missing.append(f"{where[0]}: {msgid!r} has no English translation")
    assert not missing, (
        f"{len(missing)} string(s) without English (see this file's docstring):\n"
        + "\n".join(missing)
    )


def test_the_catalog_has_no_fuzzy_or_leftover_entries():
    catalog = english_catalog()
    assert not catalog.fuzzy, "the header of messages.po is marked fuzzy"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries never ship (pybabel compile skips them): {fuzzy}"
    unused = [m.id for m in catalog if m.id and m.id not in source_messages()]
    assert not unused, f"entries no longer in the source: run pybabel update: {unused}"


def test_translations_keep_the_placeholders():
    wrong = []
    for entry in english_catalog():
        if not entry.id:
            continue
        if entry.pluralizable:
            pairs = [(entry.id[0], entry.string[0]), (entry.id[1], entry.string[1])]
        else:
            pairs = [(entry.id, entry.string)]
        for french, english in pairs:
            if english and placeholders(french) != placeholders(english):
                wrong.append(f"{french!r} -> {english!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


# --- Pages in English ---------------------------------------------------------------------


@pytest.fixture
def english_app(make_app, tmp_path):
    """The application on a fresh compile of messages.po, so a stale .mo cannot hide anything."""
    directory = tmp_path / "translations"
    (directory / "en" / "LC_MESSAGES").mkdir(parents=True)
    with open(directory / "en" / "LC_MESSAGES" / "messages.mo", "wb") as mo:
        write_mo(mo, english_catalog())
    return make_app(BABEL_TRANSLATION_DIRECTORIES=str(directory))


def french_leftovers(page: str) -> list[str]:
    """French catalog strings still on the page (whole words, several words or accented)."""
    text = html.unescape(page)
    left = []
    for entry in english_catalog():
        ids = entry.id if entry.pluralizable else (entry.id,)
        strings = entry.string if entry.pluralizable else (entry.string,)
        for french in ids:
            if not french or french in strings or "%" in french:
                continue
            if " " not in french and french.isascii():
                continue  # a single plain word ("Site", "Part") may well be English too
            if re.search(rf"(?<!\w){re.escape(french)}(?!\w)", text):
                left.append(french)
    return left


def switch_to_english(client):
    response = client.post("/langue/en", data={"next": "/connexion"})
    assert response.status_code == 302


def test_sign_in_page_in_english(english_app):
    client = english_app.test_client()
    assert 'lang="fr">Français</button>' not in client.get("/connexion").get_data(as_text=True)
    switch_to_english(client)
    page = client.get("/connexion").get_data(as_text=True)
    assert '<html lang="en">' in page
    for english in ("Work email address", "Password", "Sign in", "Skip to content"):
        assert english in page
    assert 'lang="fr">Français</button>' in page
    assert french_leftovers(page) == []


def test_agent_pages_in_english(english_app):
    make = Factory(english_app)
    organisation = make.organisation(name="Agglomeration")
    service = make.service(name="Parks", organisation=organisation)
    poster = make.user(name="Alex Martin", service=service)
    category = make.category(name="Chairs")
    site = make.site(name="Town hall")
    listing = make.listing(
        poster=poster,
        title="Grey visitor chairs",
        description="Twelve chairs in good condition.",
        quantity=12,
        category_id=category.id,
        site_id=site.id,
    )
    client = english_app.test_client()
    sign_in(client, poster)  # signing in clears the session, so the language comes after
    switch_to_english(client)
    expected = {
        "/annonces/": ("Listings", "Filter", "12 available", "Good condition", "Published"),
        f"/annonces/{listing.id}": ("Quantity available", "Posted by", "Estimated value"),
        "/mes-annonces": ("My listings", "Close", "Edit"),
        "/annonces/nouvelle": ("Post a listing", "Listing title", "Send the listing for"),
        "/profil": ("My profile", "Your department", "Save"),
    }
    for url, words in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert '<html lang="en">' in page, url
        for english in words:
            assert english in page, (url, english)
        assert french_leftovers(page) == [], url
