"""Process versions: each applied process definition, kept as applied.

Revision ID: 0009
Revises: 0008

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rightturn.crm.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_versions",
        sa.Column("version", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("stage_order", sa.JSON(), nullable=False),
        sa.Column("won_stages", sa.JSON(), nullable=False),
        sa.Column("lost_stages", sa.JSON(), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.Column("applied_by", sa.String(320), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_process_versions")),
    )


def downgrade() -> None:
    op.drop_table("process_versions")
