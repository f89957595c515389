"""Dispositions: a rep's decisions on prospects and deals (qualify, disqualify, postpone,
archive, revisit).

Revision ID: 0010
Revises: 0009

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rightturn.crm.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispositions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rep_id", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=True),
        sa.Column("opportunity_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(320), nullable=False),
        sa.CheckConstraint(
            "kind IN ('qualify', 'disqualify', 'postpone', 'archive', 'revisit')",
            name=op.f("ck_dispositions_kind"),
        ),
        sa.CheckConstraint(
            "(contact_id IS NULL) <> (opportunity_id IS NULL)",
            name=op.f("ck_dispositions_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.rep_id"], name=op.f("fk_dispositions_rep_id_reps")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_dispositions_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.opportunity_id"],
            name=op.f("fk_dispositions_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispositions")),
    )
    op.create_index("ix_dispositions_rep_on_date", "dispositions", ["rep_id", "on_date"])


def downgrade() -> None:
    op.drop_index("ix_dispositions_rep_on_date", "dispositions")
    op.drop_table("dispositions")
