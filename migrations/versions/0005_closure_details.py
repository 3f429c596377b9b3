"""closure details: where a discarded item went, a note and a weight correction mark on transfers

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-04 16:10:00

Plain ALTER TABLE on SQLite too (no batch copy of the table): a copy would drop the full-text
search triggers that 0002 put on listing.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

DESTINATION_CHECK = (
    "discard_destination IS NULL OR "
    "discard_destination IN ('waste_centre', 'recycling', 'other')"
)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE listing ADD COLUMN discard_destination VARCHAR(16) "
            f"CONSTRAINT ck_listing_discard_destination_known CHECK ({DESTINATION_CHECK})"
        )
    else:
        op.add_column("listing", sa.Column("discard_destination", sa.String(16), nullable=True))
        op.create_check_constraint(
            "ck_listing_discard_destination_known", "listing", DESTINATION_CHECK
        )
    op.create_index("ix_listing_created_at", "listing", ["created_at"], unique=False)
    op.add_column(
        "transfer", sa.Column("note", sa.String(length=500), nullable=False, server_default="")
    )
    op.add_column("transfer", sa.Column("weight_corrected_at", sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column("transfer", "weight_corrected_at")
    op.drop_column("transfer", "note")
    op.drop_index("ix_listing_created_at", table_name="listing")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_listing_discard_destination_known", "listing", type_="check")
    op.drop_column("listing", "discard_destination")
