"""closure details: where a discarded item went, a note and a weight correction mark on transfers

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-04 16:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discard_destination", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(
            "discard_destination_known",
            "discard_destination IS NULL OR "
            "discard_destination IN ('waste_centre', 'recycling', 'other')",
        )
        batch_op.create_index(batch_op.f("ix_listing_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("note", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("weight_corrected_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("transfer", schema=None) as batch_op:
        batch_op.drop_column("weight_corrected_at")
        batch_op.drop_column("note")

    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_created_at"))
        batch_op.drop_constraint(batch_op.f("ck_listing_discard_destination_known"), type_="check")
        batch_op.drop_column("discard_destination")
