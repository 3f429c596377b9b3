"""When a listing last went to moderation: the queue's order and the age it shows, so a
listing resubmitted or edited today no longer looks weeks old.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch copy of the table, which would drop its search triggers);
    # SQLite cannot add it NOT NULL, hence nullable, filled at once and always set by the app.
    op.add_column("listing", sa.Column("submitted_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE listing SET submitted_at = created_at")


def downgrade():
    op.drop_column("listing", "submitted_at")
