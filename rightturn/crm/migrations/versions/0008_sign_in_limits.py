"""Failed sign-ins and known browsers, in the database: every server process (and
``rightturn users unlock``) sees the same limits.

Revision ID: 0008
Revises: 0007

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rightturn.crm.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index("ix_sign_in_failures_email_at", "sign_in_failures", ["email", "at"])
    op.create_index("ix_sign_in_failures_address_at", "sign_in_failures", ["address", "at"])
    op.create_table(
        "known_browsers",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_known_browsers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_known_browsers")),
    )
    op.create_index("ix_known_browsers_user_id", "known_browsers", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_known_browsers_user_id", "known_browsers")
    op.drop_table("known_browsers")
    op.drop_index("ix_sign_in_failures_address_at", "sign_in_failures")
    op.drop_index("ix_sign_in_failures_email_at", "sign_in_failures")
    op.drop_table("sign_in_failures")
