"""Captured activity: activities, participants, buyer actions and the quarantine.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rightturn.crm.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("created_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint(
            "kind", "source", "position", name=op.f("uq_quarantine_kind_source_position")
        ),
    )

    op.create_table(
        "activities",
        sa.Column("activity_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("occurred_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.Column("rep_id", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=1000), nullable=True),
        sa.Column("body_excerpt", sa.Text(), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=50), nullable=True),
        sa.Column("thread_id", sa.String(length=1000), nullable=True),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.String(length=1000), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("opportunity_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("created_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "direction IN ('inbound', 'outbound', 'internal')", name=op.f("ck_activities_direction")
        ),
        sa.CheckConstraint("kind IN ('email', 'call', 'meeting')", name=op.f("ck_activities_kind")),
        sa.CheckConstraint(
            "status IN ('associated', 'needs_review', 'unmatched')",
            name=op.f("ck_activities_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_activities_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.contact_id"], name=op.f("fk_activities_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.opportunity_id"],
            name=op.f("fk_activities_opportunity_id_opportunities"),
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.rep_id"], name=op.f("fk_activities_rep_id_reps")
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_activities")),
        sa.UniqueConstraint("source_id", "kind", name=op.f("uq_activities_source_id_kind")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activities_account_occurred", ["account_id", "occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activities_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_activities_fingerprint"), ["fingerprint"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activities_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_activities_opportunity_occurred", ["opportunity_id", "occurred_at"], unique=False
        )
        batch_op.create_index("ix_activities_rep_occurred", ["rep_id", "occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_activities_thread_id"), ["thread_id"], unique=False)

    op.create_table(
        "activity_participants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("rep_id", sa.String(length=64), nullable=True),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("response", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.activity_id"],
            name=op.f("fk_activity_participants_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_activity_participants_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.rep_id"], name=op.f("fk_activity_participants_rep_id_reps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_participants")),
        sa.UniqueConstraint(
            "activity_id",
            "role",
            "address",
            name=op.f("uq_activity_participants_activity_id_role_address"),
        ),
    )
    with op.batch_alter_table("activity_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_participants_activity_id"), ["activity_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activity_participants_address"), ["address"], unique=False
        )

    op.create_table(
        "buyer_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.Column("rep_id", sa.String(length=64), nullable=True),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("opportunity_id", sa.String(length=64), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("responds_to_activity_id", sa.Integer(), nullable=True),
        sa.Column("stage_change_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('reply', 'call_back', 'meeting_accepted', 'stage_advance')",
            name=op.f("ck_buyer_actions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_buyer_actions_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.activity_id"],
            name=op.f("fk_buyer_actions_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_buyer_actions_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.opportunity_id"],
            name=op.f("fk_buyer_actions_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.rep_id"], name=op.f("fk_buyer_actions_rep_id_reps")
        ),
        sa.ForeignKeyConstraint(
            ["responds_to_activity_id"],
            ["activities.activity_id"],
            name=op.f("fk_buyer_actions_responds_to_activity_id_activities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stage_change_id"],
            ["stage_history.id"],
            name=op.f("fk_buyer_actions_stage_change_id_stage_history"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buyer_actions")),
        sa.UniqueConstraint("kind", "activity_id", name=op.f("uq_buyer_actions_kind_activity_id")),
        sa.UniqueConstraint(
            "kind", "stage_change_id", name=op.f("uq_buyer_actions_kind_stage_change_id")
        ),
    )
    with op.batch_alter_table("buyer_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_buyer_actions_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_buyer_actions_opportunity_id"), ["opportunity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_buyer_actions_rep_id"), ["rep_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_buyer_actions_responds_to_activity_id"),
            ["responds_to_activity_id"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("buyer_actions")
    op.drop_table("activity_participants")
    op.drop_table("activities")
    op.drop_table("quarantine")
