"""The CRM: teams, reps, accounts, contacts, products, opportunities and their history.

Revision ID: 0001
Revises: -
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rightturn.crm.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("parent_account_id", sa.String(length=64), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("year_established", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_account_id"],
            ["accounts.account_id"],
            name=op.f("fk_accounts_parent_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_accounts")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_accounts_parent_account_id"), ["parent_account_id"], unique=False
        )

    op.create_table(
        "products",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("series", sa.String(length=100), nullable=True),
        sa.Column("list_price", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_products")),
    )

    op.create_table(
        "teams",
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("manager_rep_id", sa.String(length=64), nullable=True),
        sa.Column("manager_name", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_teams")),
    )

    op.create_table(
        "account_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_account_domains_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_account_domains")),
    )
    with op.batch_alter_table("account_domains", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_domains_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "contacts",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("auto_created", sa.Boolean(), nullable=False),
        sa.Column("created_at", rightturn.crm.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_contacts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_account_id"), ["account_id"], unique=False)

    op.create_table(
        "reps",
        sa.Column("rep_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("manager_id", sa.String(length=64), nullable=True),
        sa.Column("quota", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.team_id"], name=op.f("fk_reps_team_id_teams")),
        sa.PrimaryKeyConstraint("rep_id", name=op.f("pk_reps")),
    )
    with op.batch_alter_table("reps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reps_manager_id"), ["manager_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reps_team_id"), ["team_id"], unique=False)

    op.create_table(
        "contact_emails",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_contact_emails_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "email", name=op.f("pk_contact_emails")),
    )
    with op.batch_alter_table("contact_emails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_emails_email"), ["email"], unique=False)

    op.create_table(
        "contact_phones",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_contact_phones_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "phone", name=op.f("pk_contact_phones")),
    )
    with op.batch_alter_table("contact_phones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_phones_phone"), ["phone"], unique=False)

    op.create_table(
        "opportunities",
        sa.Column("opportunity_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("owner_rep_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("stage", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", rightturn.crm.types.UTCDateTime(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("closed_at", rightturn.crm.types.UTCDateTime(), nullable=True),
        sa.Column("forecast_category", sa.String(length=50), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'won', 'lost')", name=op.f("ck_opportunities_status")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_opportunities_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_rep_id"], ["reps.rep_id"], name=op.f("fk_opportunities_owner_rep_id_reps")
        ),
        sa.PrimaryKeyConstraint("opportunity_id", name=op.f("pk_opportunities")),
    )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunities_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opportunities_owner_rep_id"), ["owner_rep_id"], unique=False
        )
        batch_op.create_index(
            "ix_opportunities_status_close_date", ["status", "close_date"], unique=False
        )

    op.create_table(
        "rep_emails",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("rep_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.rep_id"], name=op.f("fk_rep_emails_rep_id_reps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_rep_emails")),
    )
    with op.batch_alter_table("rep_emails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rep_emails_rep_id"), ["rep_id"], unique=False)

    op.create_table(
        "rep_phones",
        sa.Column("rep_id", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["reps.rep_id"], name=op.f("fk_rep_phones_rep_id_reps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("rep_id", "phone", name=op.f("pk_rep_phones")),
    )
    with op.batch_alter_table("rep_phones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rep_phones_phone"), ["phone"], unique=False)

    op.create_table(
        "opportunity_contacts",
        sa.Column("opportunity_id", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_opportunity_contacts_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.opportunity_id"],
            name=op.f("fk_opportunity_contacts_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "opportunity_id", "contact_id", name=op.f("pk_opportunity_contacts")
        ),
    )
    with op.batch_alter_table("opportunity_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_contacts_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "opportunity_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opportunity_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=50), nullable=False),
        sa.Column("old_value", sa.String(length=100), nullable=True),
        sa.Column("new_value", sa.String(length=100), nullable=True),
        sa.Column("changed_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.opportunity_id"],
            name=op.f("fk_opportunity_history_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_history")),
        sa.UniqueConstraint(
            "opportunity_id",
            "field",
            "changed_at",
            "new_value",
            name=op.f("uq_opportunity_history_opportunity_id_field_changed_at_new_value"),
        ),
    )
    with op.batch_alter_table("opportunity_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_opportunity_history_opportunity_changed",
            ["opportunity_id", "changed_at"],
            unique=False,
        )

    op.create_table(
        "stage_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opportunity_id", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=False),
        sa.Column("entered_at", rightturn.crm.types.UTCDateTime(), nullable=False),
        sa.Column("inferred", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.opportunity_id"],
            name=op.f("fk_stage_history_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_history")),
        sa.UniqueConstraint(
            "opportunity_id",
            "stage",
            "entered_at",
            name=op.f("uq_stage_history_opportunity_id_stage_entered_at"),
        ),
    )
    with op.batch_alter_table("stage_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stage_history_entered_at"), ["entered_at"], unique=False
        )
        batch_op.create_index(
            "ix_stage_history_opportunity_entered", ["opportunity_id", "entered_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("stage_history")
    op.drop_table("opportunity_history")
    op.drop_table("opportunity_contacts")
    op.drop_table("rep_phones")
    op.drop_table("rep_emails")
    op.drop_table("opportunities")
    op.drop_table("contact_phones")
    op.drop_table("contact_emails")
    op.drop_table("reps")
    op.drop_table("contacts")
    op.drop_table("account_domains")
    op.drop_table("teams")
    op.drop_table("products")
    op.drop_table("accounts")
