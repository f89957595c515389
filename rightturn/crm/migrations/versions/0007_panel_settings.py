"""Org-wide settings (the org's time zone, the data version analytics caches key on) and each
user's own time zone.

Revision ID: 0007
Revises: 0006

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rightturn.crm.types import UTCDateTime, utcnow

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    settings = op.create_table(
        "org_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_org_settings")),
    )
    # A data version from the start: a database upgraded with data in it gets cached analytics
    # at once, not only after its next capture or import.
    assert settings is not None
    op.bulk_insert(settings, [{"key": "data_version", "value": "0", "updated_at": utcnow()}])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
    op.drop_table("org_settings")
