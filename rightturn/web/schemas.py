"""What the REST API answers, field by field: the ``response_model`` of every ``/api/v1`` route.

The CRM's query functions (:mod:`rightturn.crm.queries`) build plain dicts, and the review and push
functions dataclasses; each route names one of these models, so FastAPI checks every answer
against it and ``/api/v1/openapi.json`` documents its exact shape. Every model requires each key it
declares and forbids any other: a query that gains, loses or renames a key fails the API's tests
with a 500 instead of answering something the document does not say.

The keys and values are the API's contract (README, ``tests/web/test_api.py``): a model declares
what the queries already return, in their order; it never renames or reshapes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rightturn.associate.review import EXCERPT
from rightturn.crm.model import (
    ACTIVITY_KINDS,
    ASSOCIATION_STATUSES,
    DIRECTIONS,
    OPPORTUNITY_STATUSES,
    USER_ROLES,
)

# The database's CHECK constraints hold these columns to these values.
ActivityKind = Literal[ACTIVITY_KINDS]  # type: ignore[valid-type]
Direction = Literal[DIRECTIONS]  # type: ignore[valid-type]
AssociationStatus = Literal[ASSOCIATION_STATUSES]  # type: ignore[valid-type]
OpportunityStatus = Literal[OPPORTUNITY_STATUSES]  # type: ignore[valid-type]
Role = Literal[USER_ROLES]  # type: ignore[valid-type]

_NEXT = "Pass back as `cursor` for the next page; null on the last page."


class Out(BaseModel):
    """An answer: every declared key present (null when empty), no other key."""

    model_config = ConfigDict(extra="forbid")


# --- errors ----------------------------------------------------------------------------------


class ErrorOut(Out):
    """An error the server explains in a sentence: what was wrong and what to do."""

    detail: str


class FieldErrorOut(Out):
    """One parameter or field the schema refuses."""

    loc: list[str | int] = Field(description="Where: `query`, `path` or `body`, then the field.")
    msg: str = Field(description="What is wrong with it and what to send instead.")
    type: str = Field(description="The kind of error, e.g. `string_too_long`, `missing`.")


class ValidationErrorOut(Out):
    """Every parameter or field the schema refuses, each named by its ``loc``."""

    detail: list[FieldErrorOut]


# --- the viewer and the organisation ---------------------------------------------------------


class MeOut(Out):
    """The signed-in user and what they may see."""

    email: str
    role: Role
    rep_id: str | None = Field(description="A rep's own rep id.")
    team_id: str | None = Field(description="A manager's team.")
    rep_ids: list[str] | None = Field(
        description="The reps whose records the user sees, sorted; null: every rep (an admin)."
    )


class RepOut(Out):
    rep_id: str
    name: str
    team_id: str | None
    team: str | None = Field(description="The team's name.")
    manager_id: str | None
    quota: float | None
    active: bool
    emails: list[str] = Field(description="The rep's addresses, sorted.")


class RepsOut(Out):
    items: list[RepOut] = Field(description="By name.")


class TeamOut(Out):
    team_id: str
    name: str
    region: str | None
    manager_rep_id: str | None
    manager_name: str | None
    reps: int = Field(description="Reps of the team the viewer may see.")


class TeamsOut(Out):
    items: list[TeamOut] = Field(description="By name.")


# --- accounts and contacts -------------------------------------------------------------------


class AccountOut(Out):
    account_id: str
    name: str
    industry: str | None
    segment: str | None
    country: str | None
    employees: int | None
    parent_account_id: str | None


class AccountPageOut(Out):
    items: list[AccountOut] = Field(description="By name.")
    next_cursor: str | None = Field(description=_NEXT)


class ContactOut(Out):
    contact_id: str
    account_id: str | None
    name: str | None
    title: str | None
    auto_created: bool = Field(description="Created by capture from an address, not imported.")
    emails: list[str] = Field(description="The contact's addresses, sorted.")


class ContactPageOut(Out):
    items: list[ContactOut] = Field(description="By id.")
    next_cursor: str | None = Field(description=_NEXT)


# --- opportunities ---------------------------------------------------------------------------


class OpportunityOut(Out):
    opportunity_id: str
    name: str | None
    account_id: str | None
    account: str | None = Field(description="The account's name.")
    owner_rep_id: str | None
    owner: str | None = Field(description="The owner's name.")
    product: str | None
    amount: float | None
    stage: str
    status: OpportunityStatus
    created_at: datetime | None
    close_date: date | None = Field(description="Expected while open, actual once closed.")
    closed_at: datetime | None
    forecast_category: str | None


class OpportunityPageOut(Out):
    items: list[OpportunityOut]
    next_cursor: str | None = Field(description=_NEXT)
    total: int = Field(description="Opportunities matching the filters, on every page.")


class StageChangeOut(Out):
    stage: str
    entered_at: datetime
    inferred: bool = Field(
        description="No source said when the stage was entered: the import's date for it."
    )


class EngagedContactOut(Out):
    """A contact with a role on the opportunity, or with activity on it, or both."""

    contact_id: str
    name: str | None
    title: str | None
    role: str | None = Field(description="The role on the opportunity, if the CRM names one.")
    activities: int = Field(description="Visible activities with this contact on it.")
    last_activity_at: datetime | None


class OpportunityDetailOut(OpportunityOut):
    stage_history: list[StageChangeOut] = Field(description="Oldest first.")
    contacts: list[EngagedContactOut] = Field(description="Most activities first.")


# --- activities ------------------------------------------------------------------------------


class ActivityOut(Out):
    activity_id: int
    kind: ActivityKind
    direction: Direction
    occurred_at: datetime
    rep_id: str | None
    rep: str | None = Field(description="The rep's name.")
    subject: str | None
    duration_s: int | None
    outcome: str | None = Field(description="A call's outcome, e.g. `connected`, `voicemail`.")
    source: str = Field(description="Where it was captured from, e.g. `mbox`, `calls`, `api`.")
    source_id: str = Field(description="Its id in that source (a Message-ID, a call's id).")
    thread_id: str | None
    contact_id: str | None
    contact: str | None = Field(description="The contact's name.")
    contact_title: str | None = Field(description="The contact's job title.")
    account_id: str | None
    account: str | None = Field(description="The account's name.")
    opportunity_id: str | None
    opportunity: str | None = Field(description="The opportunity's name.")
    status: AssociationStatus
    confidence: float | None = Field(
        description="How sure the association is, 0 to 1 (1 when a person filed it); null when "
        "nothing matched."
    )
    reason: str | None = Field(description="Why it was associated (or not) as it is.")
    manual: bool = Field(description="Filed by a person, not by the engine.")
    body_excerpt: str | None


class ActivityPageOut(Out):
    items: list[ActivityOut]
    next_cursor: str | None = Field(description=_NEXT)


class ParticipantOut(Out):
    role: str = Field(description="e.g. `from`, `to`, `cc`, `caller`, `organizer`, `attendee`.")
    address: str = Field(description="An email address or an E.164 phone number.")
    name: str | None
    rep_id: str | None
    contact_id: str | None
    response: str | None = Field(description="A meeting attendee's answer, e.g. `accepted`.")


class ActivityDetailOut(ActivityOut):
    participants: list[ParticipantOut]


class PushOut(Out):
    """What became of a pushed call or meeting."""

    outcome: Literal["stored", "duplicate", "dropped"]
    activity: ActivityOut | None = Field(
        description="The stored activity (null when dropped, or when the copy already stored "
        "is outside your scope)."
    )
    reason: str | None = Field(description="Why it was dropped, or whose copy it duplicates.")


# --- review ----------------------------------------------------------------------------------


class ReviewSuggestionOut(Out):
    opportunity_id: str
    name: str | None = Field(description="The opportunity's name.")
    rank: int = Field(description="1 for the best candidate, 2 for the next, ...")
    score: float = Field(
        description="Orders the candidates; a probability only when `score_kind` says so."
    )
    reason: str = Field(description="The evidence for this candidate.")
    contact_waiting: int = Field(
        description="Waiting items of the same contact suggesting this opportunity (this one "
        'included): what `"apply_to": "contact"` files.'
    )


class ReviewItemOut(Out):
    activity_id: int
    kind: str
    direction: str | None
    occurred_at: datetime
    rep_id: str | None
    rep_name: str | None
    account_id: str | None
    account: str | None = Field(description="The account's name.")
    contact_id: str | None
    contact_name: str | None
    contact_title: str | None
    subject: str | None
    excerpt: str | None = Field(
        description=f"At most {EXCERPT} characters of the body; a call's outcome, length, notes."
    )
    reason: str | None
    thread_size: int
    suggestions: list[ReviewSuggestionOut]


class ReviewPageOut(Out):
    items: list[ReviewItemOut]
    next_cursor: str | None
    previous_cursor: str | None
    total: int = Field(description="Waiting threads matching the filters.")
    start: int = Field(description="Matching threads before this page, in its order.")
    score_kind: Literal["rank", "probability"] = Field(
        description="`rank`: scores only order one item's candidates; `probability`: calibrated."
    )


class ThreadMessageOut(Out):
    activity_id: int
    kind: str
    direction: str
    occurred_at: datetime
    subject: str | None
    sender: str | None
    excerpt: str | None
    status: str


class ThreadOut(Out):
    activity_id: int
    items: list[ThreadMessageOut] = Field(
        description="The thread's visible messages, oldest first."
    )


class ResolutionOut(Out):
    activity_ids: list[int] = Field(description="Every activity filed.")
    opportunity_id: str | None
    account_id: str | None
    threads: int = Field(description="Queue items (threads) filed.")
