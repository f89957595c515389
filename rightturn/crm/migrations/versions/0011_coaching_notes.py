"""Coaching notes: a focus (one practice) and a target share a manager sets a rep.

Revision ID: 0011
Revises: 0010

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rightturn.crm.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coaching_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("practice", sa.String(32), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("note", sa.String(1000), nullable=True),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "target IS NULL OR (target >= 0 AND target <= 1)",
            name=op.f("ck_coaching_notes_target"),
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.rep_id"], name=op.f("fk_coaching_notes_rep_id_reps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_notes")),
    )
    op.create_index("ix_coaching_notes_rep_created", "coaching_notes", ["rep_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_coaching_notes_rep_created", "coaching_notes")
    op.drop_table("coaching_notes")
