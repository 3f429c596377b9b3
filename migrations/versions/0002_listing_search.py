"""Search and browse: French full-text search of listings, indexes for every filter.

FTS5 on SQLite, a french tsvector on PostgreSQL. Only listings online (published or reserved)
are indexed: the search index stays the size of what agents can find.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Characters folded by reemploi_fold() on PostgreSQL (no extension needed, unlike unaccent).
ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyy"

SQLITE_UP = [
    """CREATE VIRTUAL TABLE listing_fts USING fts5(
        title, description, category, tokenize = 'unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER listing_fts_insert AFTER INSERT ON listing
        WHEN new.status IN ('published', 'reserved') BEGIN
        INSERT INTO listing_fts(rowid, title, description, category)
        VALUES (new.id, new.title, new.description,
                (SELECT name FROM category WHERE id = new.category_id));
    END""",
    """CREATE TRIGGER listing_fts_update AFTER UPDATE OF title, description, category_id, status
        ON listing BEGIN
        DELETE FROM listing_fts WHERE rowid = old.id;
        INSERT INTO listing_fts(rowid, title, description, category)
        SELECT new.id, new.title, new.description,
               (SELECT name FROM category WHERE id = new.category_id)
        WHERE new.status IN ('published', 'reserved');
    END""",
    """CREATE TRIGGER listing_fts_delete AFTER DELETE ON listing BEGIN
        DELETE FROM listing_fts WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER listing_fts_category AFTER UPDATE OF name ON category BEGIN
        UPDATE listing_fts SET category = new.name
        WHERE rowid IN (SELECT id FROM listing WHERE category_id = new.id);
    END""",
    """INSERT INTO listing_fts(rowid, title, description, category)
        SELECT listing.id, listing.title, listing.description, category.name
        FROM listing JOIN category ON category.id = listing.category_id
        WHERE listing.status IN ('published', 'reserved')""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS listing_fts_category",
    "DROP TRIGGER IF EXISTS listing_fts_delete",
    "DROP TRIGGER IF EXISTS listing_fts_update",
    "DROP TRIGGER IF EXISTS listing_fts_insert",
    "DROP TABLE IF EXISTS listing_fts",
]

POSTGRES_UP = [
    f"""CREATE FUNCTION reemploi_fold(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT translate(lower($1), '{ACCENTED}', '{PLAIN}') $$""",
    """CREATE TABLE listing_fts (
        listing_id integer PRIMARY KEY REFERENCES listing(id) ON DELETE CASCADE,
        document tsvector NOT NULL
    )""",
    "CREATE INDEX ix_listing_fts_document ON listing_fts USING gin (document)",
    """CREATE FUNCTION listing_fts_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status NOT IN ('published', 'reserved') THEN
            DELETE FROM listing_fts WHERE listing_id = NEW.id;
            RETURN NEW;
        END IF;
        INSERT INTO listing_fts(listing_id, document)
        SELECT NEW.id, to_tsvector('french', reemploi_fold(
            coalesce(NEW.title, '') || ' ' || coalesce(NEW.description, '') || ' ' ||
            coalesce((SELECT name FROM category WHERE id = NEW.category_id), '')))
        ON CONFLICT (listing_id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER listing_fts_insert AFTER INSERT ON listing
        FOR EACH ROW EXECUTE FUNCTION listing_fts_refresh()""",
    """CREATE TRIGGER listing_fts_update AFTER UPDATE OF title, description, category_id, status
        ON listing FOR EACH ROW EXECUTE FUNCTION listing_fts_refresh()""",
    """CREATE FUNCTION listing_fts_category_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE listing_fts SET document = to_tsvector('french', reemploi_fold(
            coalesce(l.title, '') || ' ' || coalesce(l.description, '') || ' ' || NEW.name))
        FROM listing l WHERE l.id = listing_fts.listing_id AND l.category_id = NEW.id;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER listing_fts_category AFTER UPDATE OF name ON category
        FOR EACH ROW EXECUTE FUNCTION listing_fts_category_refresh()""",
    """INSERT INTO listing_fts(listing_id, document)
        SELECT l.id, to_tsvector('french', reemploi_fold(
            coalesce(l.title, '') || ' ' || coalesce(l.description, '') || ' ' || c.name))
        FROM listing l JOIN category c ON c.id = l.category_id
        WHERE l.status IN ('published', 'reserved')""",
]

POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS listing_fts_category ON category",
    "DROP FUNCTION IF EXISTS listing_fts_category_refresh()",
    "DROP TRIGGER IF EXISTS listing_fts_update ON listing",
    "DROP TRIGGER IF EXISTS listing_fts_insert ON listing",
    "DROP FUNCTION IF EXISTS listing_fts_refresh()",
    "DROP TABLE IF EXISTS listing_fts",
    "DROP FUNCTION IF EXISTS reemploi_fold(text)",
]


def _run(statements):
    for statement in statements:
        op.execute(statement)


BROWSE_INDEXES = {
    "ix_listing_status_category_id": ["status", "category_id"],
    "ix_listing_status_site_id": ["status", "site_id"],
    "ix_listing_status_poster_service_id": ["status", "poster_service_id"],
    "ix_listing_status_condition": ["status", "condition"],
    "ix_listing_status_available_from": ["status", "available_from"],
}


def upgrade():
    for name, columns in BROWSE_INDEXES.items():
        op.create_index(name, "listing", columns)
    dialect = op.get_bind().dialect.name
    _run(POSTGRES_UP if dialect == "postgresql" else SQLITE_UP)


def downgrade():
    dialect = op.get_bind().dialect.name
    _run(POSTGRES_DOWN if dialect == "postgresql" else SQLITE_DOWN)
    for name in BROWSE_INDEXES:
        op.drop_index(name, "listing")
