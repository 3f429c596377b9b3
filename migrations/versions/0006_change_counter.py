"""A change counter bumped by triggers whenever what the browse page or the dashboard shows
changes.

Both pages cache their rendered content per process and check this counter first: one
primary-key read instead of rendering 24 cards or aggregating every exchange. Triggers cover every writer (app, CLI, bulk
loads), on SQLite and PostgreSQL alike.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WATCHED = ("listing", "transfer", "photo", "category", "site", "service", "organisation")


def upgrade():
    op.create_table(
        "change_counter",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counter")),
    )
    op.execute("INSERT INTO change_counter (name, value) VALUES ('browse', 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """CREATE FUNCTION change_counter_bump() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE change_counter SET value = value + 1 WHERE name = 'browse';
                RETURN NULL;
            END $$"""
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_change_counter AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION change_counter_bump()"
            )
    else:
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_change_counter_{event.lower()} AFTER {event} "
                    f"ON {table} BEGIN "
                    "UPDATE change_counter SET value = value + 1 WHERE name = 'browse'; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_change_counter ON {table}")
        op.execute("DROP FUNCTION IF EXISTS change_counter_bump()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_change_counter_{event}")
    op.drop_table("change_counter")
