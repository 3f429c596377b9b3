"""Covering indexes for the statistics: the dashboard's aggregates read the exchanges of a
period, the giving service and category of their listings, and the listings posted in the
period, from the indexes alone instead of the wide listing rows.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_transfer_stats": (
        "transfer",
        [
            "at",
            "listing_id",
            "receiving_service_id",
            "quantity",
            "value_share",
            "weight_share_kg",
            "co2e_share_kg",
        ],
    ),
    "ix_listing_stats_join": ("listing", ["id", "poster_service_id", "category_id"]),
    "ix_listing_stats_posted": (
        "listing",
        ["created_at", "status", "closure_reason", "quantity", "estimated_value"],
    ),
}


def upgrade():
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade():
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
