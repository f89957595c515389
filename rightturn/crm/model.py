"""The data model: the tables every rightturn capability reads and writes.

People and organisations (teams, reps, accounts, contacts) carry their identities (email
addresses, phone numbers, web/email domains) in child tables, because association matches on them
and one person may have several. Opportunities keep their full stage history and the history of
the fields that move (close date, amount), so every metric can be computed as of a past date.
Activities are what capture produces; buyer actions are the responses later issues tie to the
practices that caused them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rightturn.crm.types import UTCDateTime, utcnow

# Named constraints make Alembic migrations portable (SQLite batch mode needs names to alter them).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(64)
MONEY = Numeric(16, 2)

OPPORTUNITY_STATUSES = ("open", "won", "lost")
ACTIVITY_KINDS = ("email", "call", "meeting")
DIRECTIONS = ("inbound", "outbound", "internal")
ASSOCIATION_STATUSES = ("associated", "needs_review", "unmatched")
BUYER_ACTION_KINDS = ("reply", "call_back", "meeting_accepted", "stage_advance")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

    @classmethod
    def table(cls) -> Table:
        """The Core table, for bulk statements (executemany without the ORM's per-row work)."""
        return cast(Table, cls.__table__)


# --- the selling organisation -------------------------------------------------------------


class Team(Base):
    __tablename__ = "teams"

    team_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    # A team's manager may be a rep row (canonical imports) or only a name (Maven data).
    manager_rep_id: Mapped[str | None] = mapped_column(ID)
    manager_name: Mapped[str | None] = mapped_column(String(200))


class Rep(Base):
    __tablename__ = "reps"

    rep_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.team_id"), index=True)
    # Not a foreign key: a manager may be named before (or without) their own rep row.
    manager_id: Mapped[str | None] = mapped_column(ID, index=True)
    quota: Mapped[Decimal | None] = mapped_column(MONEY)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RepEmail(Base):
    __tablename__ = "rep_emails"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("reps.rep_id", ondelete="CASCADE"), index=True)


class RepPhone(Base):
    __tablename__ = "rep_phones"

    rep_id: Mapped[str] = mapped_column(
        ForeignKey("reps.rep_id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


# --- the buying organisations -------------------------------------------------------------


class Account(Base):
    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    segment: Mapped[str | None] = mapped_column(String(100))
    parent_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.account_id"), index=True
    )
    country: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[Decimal | None] = mapped_column(MONEY)
    year_established: Mapped[int | None] = mapped_column(Integer)


class AccountDomain(Base):
    """A registrable web/email domain owned by exactly one account."""

    __tablename__ = "account_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True
    )


class Contact(Base):
    __tablename__ = "contacts"

    contact_id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(300))
    # Created by association from a new address at a known account's domain, not by an import.
    auto_created: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)


class ContactEmail(Base):
    __tablename__ = "contact_emails"

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.contact_id", ondelete="CASCADE"), primary_key=True
    )
    # Not unique across contacts: dirty CRMs share addresses, and association must see that.
    email: Mapped[str] = mapped_column(String(320), primary_key=True, index=True)


class ContactPhone(Base):
    __tablename__ = "contact_phones"

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.contact_id", ondelete="CASCADE"), primary_key=True
    )
    # Switchboards are shared by many contacts; association must not pick one at random.
    phone: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Product(Base):
    __tablename__ = "products"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    series: Mapped[str | None] = mapped_column(String(100))
    list_price: Mapped[Decimal | None] = mapped_column(MONEY)


# --- opportunities and their history ------------------------------------------------------


class Opportunity(Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint(_in("status", OPPORTUNITY_STATUSES), name="status"),
        Index("ix_opportunities_status_close_date", "status", "close_date"),
    )

    opportunity_id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    owner_rep_id: Mapped[str | None] = mapped_column(ForeignKey("reps.rep_id"), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    product: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    stage: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_date: Mapped[date | None] = mapped_column(Date)  # expected while open, actual once closed
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forecast_category: Mapped[str | None] = mapped_column(String(50))


class OpportunityContact(Base):
    """A contact's role on an opportunity (the buying group)."""

    __tablename__ = "opportunity_contacts"

    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.opportunity_id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.contact_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str | None] = mapped_column(String(100))


class StageChange(Base):
    """An opportunity entering a stage. The full sequence replays the pipeline as of any date."""

    __tablename__ = "stage_history"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "stage", "entered_at"),
        Index("ix_stage_history_opportunity_entered", "opportunity_id", "entered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.opportunity_id", ondelete="CASCADE")
    )
    stage: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # True when no source gave the timestamp: an import saw the stage change and recorded it then.
    inferred: Mapped[bool] = mapped_column(Boolean, default=False)


class OpportunityChange(Base):
    """A change of a tracked opportunity field (close_date, amount, owner, forecast category)."""

    __tablename__ = "opportunity_history"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "field", "changed_at", "new_value"),
        Index("ix_opportunity_history_opportunity_changed", "opportunity_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.opportunity_id", ondelete="CASCADE")
    )
    field: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(String(100))
    new_value: Mapped[str | None] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- captured activity --------------------------------------------------------------------


class Activity(Base):
    """One email, call or meeting, captured once however many sources saw it."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(_in("kind", ACTIVITY_KINDS), name="kind"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_in("status", ASSOCIATION_STATUSES), name="status"),
        # The dedupe key: a Message-ID, a call id or an event UID names one activity (source_id
        # first, so look-ups by id alone use the index too).
        UniqueConstraint("source_id", "kind"),
        # A rep's timeline, and their activity mix counted from the index alone.
        Index("ix_activities_rep_occurred_kind", "rep_id", "occurred_at", "kind", "direction"),
        Index("ix_activities_opportunity_occurred", "opportunity_id", "occurred_at"),
        Index("ix_activities_account_occurred", "account_id", "occurred_at"),
        # The review queue groups waiting activities by thread from this index alone.
        Index("ix_activities_status_rep_thread", "status", "rep_id", "thread_id", "occurred_at"),
        # Week-over-week counts by kind read only this index (no row look-ups).
        Index("ix_activities_occurred_kind", "occurred_at", "kind", "direction"),
    )

    activity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(10))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rep_id: Mapped[str | None] = mapped_column(ForeignKey("reps.rep_id"))
    subject: Mapped[str | None] = mapped_column(String(1000))
    body_excerpt: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(50))
    thread_id: Mapped[str | None] = mapped_column(String(1000), index=True)
    # The normalized subject's hash: rebuilds threads for mail that carries no reply headers.
    subject_key: Mapped[str | None] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(String(50))
    source_id: Mapped[str] = mapped_column(String(1000))
    # Sender, date, normalized subject and body hash: finds copies whose Message-ID was rewritten.
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.contact_id"), index=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_id"))
    opportunity_id: Mapped[str | None] = mapped_column(ForeignKey("opportunities.opportunity_id"))
    status: Mapped[str] = mapped_column(String(20), default="unmatched")
    confidence: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    # A person chose this association; automatic runs never overwrite it.
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ActivityParticipant(Base):
    __tablename__ = "activity_participants"
    __table_args__ = (UniqueConstraint("activity_id", "role", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # No index of its own: the unique key above starts with it.
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.activity_id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(20))  # from, to, cc, organizer, attendee, caller...
    address: Mapped[str] = mapped_column(String(320), index=True)  # email or E.164 phone
    name: Mapped[str | None] = mapped_column(String(300))
    rep_id: Mapped[str | None] = mapped_column(ForeignKey("reps.rep_id"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.contact_id"))
    response: Mapped[str | None] = mapped_column(String(20))  # meetings: accepted, declined...


class BuyerAction(Base):
    """A buyer's response — the effect that Return-on-Effort ties back to a rep's practice."""

    __tablename__ = "buyer_actions"
    __table_args__ = (
        CheckConstraint(_in("kind", BUYER_ACTION_KINDS), name="kind"),
        UniqueConstraint("kind", "activity_id"),
        UniqueConstraint("kind", "stage_change_id"),
        # "Any buyer response on this deal since ...": the panel's quiet-deal check.
        Index("ix_buyer_actions_opportunity_occurred", "opportunity_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    rep_id: Mapped[str | None] = mapped_column(ForeignKey("reps.rep_id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.contact_id"))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_id"))
    opportunity_id: Mapped[str | None] = mapped_column(
        ForeignKey("opportunities.opportunity_id", ondelete="CASCADE")
    )
    # The buyer's own activity (their reply, their call, their acceptance), when there is one.
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.activity_id", ondelete="CASCADE")
    )
    # The rep's activity this responds to: the practice that earned the response.
    responds_to_activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.activity_id", ondelete="SET NULL"), index=True
    )
    stage_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("stage_history.id", ondelete="CASCADE")
    )


class QuarantineItem(Base):
    """Input that could not be used, kept with where it came from and why."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("kind", "source", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))  # crm_row, email, call, meeting
    source: Mapped[str] = mapped_column(String(1000))  # file path, mailbox, endpoint
    position: Mapped[str] = mapped_column(String(200))  # line, byte offset, UID
    reason: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DroppedItem(Base):
    """A captured item the filters left out (internal, bulk, auto-reply, personal, blocklist,
    cancelled), kept with the reason so nothing disappears silently."""

    __tablename__ = "dropped_items"
    __table_args__ = (UniqueConstraint("source_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(50))
    source_id: Mapped[str] = mapped_column(String(1000))
    position: Mapped[str] = mapped_column(String(1000))
    reason: Mapped[str] = mapped_column(String(30), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rep_id: Mapped[str | None] = mapped_column(ForeignKey("reps.rep_id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suggestion(Base):
    """A ranked candidate opportunity for an activity that needs review."""

    __tablename__ = "association_suggestions"
    __table_args__ = (UniqueConstraint("activity_id", "opportunity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.activity_id", ondelete="CASCADE"), index=True
    )
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.opportunity_id", ondelete="CASCADE")
    )
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)


class CaptureCheckpoint(Base):
    """Where a capture source stands, written in the same transaction as the items before it."""

    __tablename__ = "capture_checkpoints"

    source_key: Mapped[str] = mapped_column(String(1000), primary_key=True)
    checkpoint: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BlocklistEntry(Base):
    """An address or domain whose mail, calls and meetings are never captured."""

    __tablename__ = "blocklist"

    entry: Mapped[str] = mapped_column(String(320), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssociationModel(Base):
    """Association weights learned from the org's own review decisions (the latest is used)."""

    __tablename__ = "association_models"

    model_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decisions: Mapped[int] = mapped_column(Integer)  # people's decisions it learned from
    examples: Mapped[int] = mapped_column(Integer)  # candidate rows, with confident links
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)


# --- the sales process ---------------------------------------------------------------------


class ProcessVersion(Base):
    """A process definition as applied (``rightturn process apply``). Each apply of a changed
    definition adds a version and none is ever changed, so an inspection names the version it
    measured and a later change never rewrites it. The stage columns repeat what the definition
    says, for the store's own readers (:mod:`rightturn.crm.stages` orders stages by them without
    parsing the YAML)."""

    __tablename__ = "process_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)  # the YAML as applied (\n line endings)
    # Every stage in process order: the open ones, then the won, then the lost.
    stage_order: Mapped[list[str]] = mapped_column(JSON)
    won_stages: Mapped[list[str]] = mapped_column(JSON)
    lost_stages: Mapped[list[str]] = mapped_column(JSON)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by: Mapped[str] = mapped_column(String(320))


DISPOSITION_KINDS = ("qualify", "disqualify", "postpone", "archive", "revisit")


class Disposition(Base):
    """A rep's decision on a prospect (contact) or a deal: qualify, disqualify (with a reason),
    postpone (until ``on_date``), archive, revisit (on ``on_date``). Decisions are only added,
    never changed: the latest one on a contact or deal is the one in force, and a cadence ends
    at one (:mod:`rightturn.process.dispositions`)."""

    __tablename__ = "dispositions"
    __table_args__ = (
        CheckConstraint(_in("kind", DISPOSITION_KINDS), name="kind"),
        # Exactly one subject: a decision on a prospect or on a deal, never both or neither.
        CheckConstraint("(contact_id IS NULL) <> (opportunity_id IS NULL)", name="subject"),
        # The guided day reads a rep's dispositions due by a date.
        Index("ix_dispositions_rep_on_date", "rep_id", "on_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("reps.rep_id"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.contact_id"))
    opportunity_id: Mapped[str | None] = mapped_column(
        ForeignKey("opportunities.opportunity_id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    on_date: Mapped[date | None] = mapped_column(Date)  # postpone: until; revisit: on
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(320))


# --- coaching ------------------------------------------------------------------------------


class CoachingNote(Base):
    """A focus a manager sets a rep: one practice of the scorecard
    (:data:`~rightturn.effort.coach.PRACTICES`, checked by :mod:`rightturn.effort.notes`, not
    here, so a new practice needs no migration), the share of touches it aims at, and a note.
    Open until ``closed_at``; the scorecard follows the rep's share week by week from it."""

    __tablename__ = "coaching_notes"
    __table_args__ = (
        CheckConstraint("target IS NULL OR (target >= 0 AND target <= 1)", name="target"),
        # The coaching pages read a rep's notes, the newest first.
        Index("ix_coaching_notes_rep_created", "rep_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("reps.rep_id"))
    practice: Mapped[str] = mapped_column(String(32))
    target: Mapped[float | None] = mapped_column(Float)  # a share of touches, 0 to 1
    note: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- people who sign in -------------------------------------------------------------------

USER_ROLES = ("rep", "manager", "admin")


class User(Base):
    """Someone who signs in to the panel or API. What they may see follows from the role: a rep
    their own rep's records, a manager their team's, an admin everything."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", USER_ROLES), name="role"),)

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # An argon2id hash (PHC string); the password itself is never stored.
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    rep_id: Mapped[str | None] = mapped_column(ForeignKey("reps.rep_id"))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.team_id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An IANA zone (Europe/Berlin); None: the org's time zone.
    time_zone: Mapped[str | None] = mapped_column(String(64))


class OrgSetting(Base):
    """One org-wide setting by name: ``time_zone`` (IANA), ``data_version`` (a counter captures
    and imports bump, so cached analytics know when they are stale)."""

    __tablename__ = "org_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInFailure(Base):
    """A failed sign-in: which email was tried from which address, and when."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_email_at", "email", "at"),
        Index("ix_sign_in_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnownBrowser(Base):
    """A browser a user has signed in from (its cookie's SHA-256): it may still sign in while
    someone else's guesses hold the account or the address back."""

    __tablename__ = "known_browsers"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A machine's bearer token. Shown once when made; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
