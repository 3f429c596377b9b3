"""Bump the change counter when an agent's name or email changes: the listing page, which is
cached per data version, shows its poster's.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BUMP = "UPDATE change_counter SET value = value + 1 WHERE name = 'browse'"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # change_counter_bump() comes from 0006.
        op.execute(
            "CREATE TRIGGER user_account_change_counter AFTER UPDATE OF name, email "
            "ON user_account FOR EACH STATEMENT EXECUTE FUNCTION change_counter_bump()"
        )
    else:
        op.execute(
            "CREATE TRIGGER user_account_change_counter_update AFTER UPDATE OF name, email "
            f"ON user_account BEGIN {BUMP}; END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS user_account_change_counter ON user_account")
    else:
        op.execute("DROP TRIGGER IF EXISTS user_account_change_counter_update")
