"""Capture state: dropped items, review suggestions, source checkpoints, blocklist, subject keys.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rightturn.crm.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocklist",
        sa.Column("entry", sa.String(length=320), nullable=False),
        sa.Column("created_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("entry", name=op.f("pk_blocklist")),
    )
    op.create_table(
        "capture_checkpoints",
        sa.Column("source_key", sa.String(length=1000), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("updated_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source_key", name=op.f("pk_capture_checkpoints")),
    )
    op.create_table(
        "dropped_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.String(length=1000), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("occurred_at", rightturn.crm.types.UTCDateTime(), nullable=True),
        sa.Column("rep_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.rep_id"], name=op.f("fk_dropped_items_rep_id_reps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dropped_items")),
        sa.UniqueConstraint("source_id", "kind", name=op.f("uq_dropped_items_source_id_kind")),
    )
    with op.batch_alter_table("dropped_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dropped_items_reason"), ["reason"], unique=False)

    op.create_table(
        "association_suggestions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.activity_id"],
            name=op.f("fk_association_suggestions_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.opportunity_id"],
            name=op.f("fk_association_suggestions_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_association_suggestions")),
        sa.UniqueConstraint(
            "activity_id",
            "opportunity_id",
            name=op.f("uq_association_suggestions_activity_id_opportunity_id"),
        ),
    )
    with op.batch_alter_table("association_suggestions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_association_suggestions_activity_id"), ["activity_id"], unique=False
        )

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_key", sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_activities_subject_key"), ["subject_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_subject_key"))
        batch_op.drop_column("subject_key")

    with op.batch_alter_table("association_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_association_suggestions_activity_id"))

    op.drop_table("association_suggestions")
    with op.batch_alter_table("dropped_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dropped_items_reason"))

    op.drop_table("dropped_items")
    op.drop_table("capture_checkpoints")
    op.drop_table("blocklist")
