"""The REST API, ``/api/v1``: thin handlers over the CRM queries, review and capture push.

Every route here runs :func:`~rightturn.web.security.viewer` (attached to the router, so a new
route cannot forget it) and :func:`~rightturn.web.security.csrf_protect`. A record outside the
viewer's scope is a 404 exactly like one that does not exist.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from rightturn.associate.identity import IdentityIndex, load_index
from rightturn.associate.review import EXCERPT, ORDERS, resolve, review_queue, review_thread
from rightturn.capture.push import call_item, meeting_item, push, reps_of
from rightturn.crm import queries
from rightturn.crm.model import ACTIVITY_KINDS, ASSOCIATION_STATUSES, OPPORTUNITY_STATUSES
from rightturn.crm.store import Store
from rightturn.errors import ParseError, PermissionDenied
from rightturn.web.security import Viewer, csrf_protect, viewer

router = APIRouter(prefix="/api/v1", dependencies=[Depends(viewer), Depends(csrf_protect)])
Who = Annotated[Viewer, Depends(viewer)]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT, description="Rows per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
INDEX_TTL = 60.0  # seconds a pushed item may see identities as they were
_PUSH_LOCK = threading.Lock()


def _store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def _page(page: queries.Page) -> dict[str, Any]:
    out: dict[str, Any] = {"items": page.items, "next_cursor": page.next_cursor}
    if page.total is not None:
        out["total"] = page.total
    return out


@router.get("/me", summary="The signed-in user and what they may see")
def me(who: Who) -> dict[str, Any]:
    a = who.account
    return {
        "email": a.email,
        "role": a.role,
        "rep_id": a.rep_id,
        "team_id": a.team_id,
        "rep_ids": None if who.scope.rep_ids is None else sorted(who.scope.rep_ids),
    }


@router.get("/reps", summary="Reps the viewer may see")
def reps(request: Request, who: Who, team_id: str | None = None) -> dict[str, Any]:
    with _store(request).session() as s:
        return {"items": queries.list_reps(s, who.scope, team_id=team_id)}


@router.get("/reps/{rep_id}", summary="One rep")
def rep(request: Request, who: Who, rep_id: str) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_rep(s, who.scope, rep_id)


@router.get("/teams", summary="Teams with reps the viewer may see")
def teams(request: Request, who: Who) -> dict[str, Any]:
    with _store(request).session() as s:
        return {"items": queries.list_teams(s, who.scope)}


@router.get("/accounts", summary="Accounts, by name")
def accounts(
    request: Request,
    who: Who,
    q: Annotated[str | None, Query(description="Part of the name.")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    with _store(request).session() as s:
        return _page(queries.list_accounts(s, who.scope, q=q, cursor=cursor, limit=limit))


@router.get("/accounts/{account_id}", summary="One account")
def account(request: Request, who: Who, account_id: str) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_account(s, who.scope, account_id)


@router.get("/contacts", summary="Contacts at visible accounts")
def contacts(
    request: Request,
    who: Who,
    account_id: str | None = None,
    q: Annotated[str | None, Query(description="Part of the name.")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    with _store(request).session() as s:
        page = queries.list_contacts(
            s, who.scope, account_id=account_id, q=q, cursor=cursor, limit=limit
        )
        return _page(page)


@router.get("/contacts/{contact_id}", summary="One contact")
def contact(request: Request, who: Who, contact_id: str) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_contact(s, who.scope, contact_id)


@router.get("/opportunities", summary="Opportunities, filtered and sorted")
def opportunities(
    request: Request,
    who: Who,
    rep_id: str | None = None,
    account_id: str | None = None,
    status: Literal[OPPORTUNITY_STATUSES] | None = None,  # type: ignore[valid-type]
    stage: str | None = None,
    q: Annotated[str | None, Query(description="Part of the name or account.")] = None,
    sort: Literal[tuple(queries.OPPORTUNITY_SORTS)] = "close_date",  # type: ignore[valid-type]
    desc: bool = False,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    if cursor and not cursor.isdigit():
        raise ParseError(f"cursor {cursor!r} is not one this server gave out; start without it")
    offset = int(cursor) if cursor else 0
    with _store(request).session() as s:
        page = queries.list_opportunities(
            s,
            who.scope,
            rep_id=rep_id,
            account_id=account_id,
            status=status,
            stage=stage,
            q=q,
            sort=sort,
            descending=desc,
            offset=offset,
            limit=limit,
        )
        return _page(page)


@router.get("/opportunities/{opportunity_id}", summary="One opportunity with its stage history")
def opportunity(request: Request, who: Who, opportunity_id: str) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_opportunity(s, who.scope, opportunity_id)


@router.get("/activities", summary="Captured activities, newest first")
def activities(
    request: Request,
    who: Who,
    rep_id: str | None = None,
    account_id: str | None = None,
    opportunity_id: str | None = None,
    contact_id: str | None = None,
    kind: Literal[ACTIVITY_KINDS] | None = None,  # type: ignore[valid-type]
    status: Literal[ASSOCIATION_STATUSES] | None = None,  # type: ignore[valid-type]
    since: Annotated[datetime | None, Query(description="From this time (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
    order: Literal["newest", "oldest"] = "newest",
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    where = queries.ActivityFilter(
        rep_id=rep_id,
        account_id=account_id,
        opportunity_id=opportunity_id,
        contact_id=contact_id,
        kind=kind,
        status=status,
        since=since,
        until=until,
    )
    with _store(request).session() as s:
        page = queries.list_activities(
            s,
            who.scope,
            where,
            cursor=cursor,
            limit=limit,
            body=True,
            oldest_first=order == "oldest",
        )
        return _page(page)


@router.get("/activities/{activity_id}", summary="One activity with body excerpt and participants")
def activity(request: Request, who: Who, activity_id: int) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_activity(s, who.scope, activity_id)


class Attendee(BaseModel):
    email: str = Field(description="The attendee's email address.")
    name: str | None = None
    response: Literal["accepted", "declined", "tentative", "needs_action"] | None = None


class PushedActivity(BaseModel):
    """A call or meeting from another system. Calls need both numbers; meetings an organizer."""

    kind: Literal["call", "meeting"]
    external_id: str = Field(
        min_length=1, max_length=900, description="The other system's id: a repeat is a no-op."
    )
    started_at: datetime = Field(description="ISO 8601 with a time zone.")
    duration_s: int | None = Field(default=None, ge=0)
    subject: str | None = Field(default=None, max_length=1000)
    notes: str | None = Field(default=None, max_length=20000)
    from_number: str | None = None
    to_number: str | None = None
    direction: Literal["inbound", "outbound"] | None = None
    outcome: Literal["connected", "voicemail", "no_answer"] | None = None
    organizer: str | None = None
    attendees: list[Attendee] = Field(default_factory=list)
    cancelled: bool = False

    @model_validator(mode="after")
    def _fields_for_kind(self) -> PushedActivity:
        needed = ("from_number", "to_number") if self.kind == "call" else ("organizer",)
        missing = [name for name in needed if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.kind} needs {' and '.join(missing)}")
        if self.started_at.tzinfo is None:
            raise ValueError("started_at needs a time zone, e.g. 2026-05-04T15:54:01+00:00")
        return self


def _index(request: Request) -> IdentityIndex:
    """The identity index, kept between pushes and reloaded when older than ``INDEX_TTL``."""
    state = request.app.state
    loaded, index = getattr(state, "identity_index", (0.0, None))
    if index is None or time.monotonic() - loaded > INDEX_TTL:
        with state.store.session() as s:
            index = load_index(s)
        state.identity_index = (time.monotonic(), index)
    return index  # type: ignore[no-any-return]


@router.post(
    "/activities",
    status_code=201,
    summary="Push a call or meeting through the capture pipeline",
    responses={200: {"description": "Already captured: the stored activity"}},
)
def push_activity(request: Request, who: Who, body: PushedActivity) -> JSONResponse:
    settings = request.app.state.settings
    try:
        if body.kind == "call":
            item = call_item(
                external_id=body.external_id,
                started_at=body.started_at,
                from_number=body.from_number or "",
                to_number=body.to_number or "",
                direction=body.direction,
                duration_s=body.duration_s,
                outcome=body.outcome,
                subject=body.subject,
                notes=body.notes,
                region=settings.phone_region,
            )
        else:
            item = meeting_item(
                external_id=body.external_id,
                started_at=body.started_at,
                organizer=body.organizer or "",
                attendees=[(a.email, a.name, a.response) for a in body.attendees],
                duration_s=body.duration_s,
                subject=body.subject,
                notes=body.notes,
                cancelled=body.cancelled,
            )
    except ValueError as exc:
        raise ParseError(str(exc)) from None
    # One push at a time: the kept index is updated in place, and two pushes of one id must not
    # both find it new.
    with _PUSH_LOCK:
        index = _index(request)
        reps = reps_of(item, index)
        if not reps:
            raise ParseError(
                "no party is a known rep: add the rep's phone or email to the CRM first"
            )
        if not who.scope.is_everything and not reps & (who.scope.rep_ids or set()):
            raise PermissionDenied("you may push only your own (or your team's) activities")
        result = push(_store(request), item, index=index, scope=who.scope)
    payload = {"outcome": result.outcome, "activity": result.activity, "reason": result.reason}
    status = 201 if result.outcome == "stored" else 200
    return JSONResponse(jsonable_encoder(payload), status_code=status)


class ReviewSuggestionOut(BaseModel):
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


class ReviewItemOut(BaseModel):
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


class ReviewPageOut(BaseModel):
    items: list[ReviewItemOut]
    next_cursor: str | None
    previous_cursor: str | None
    total: int = Field(description="Waiting threads matching the filters.")
    start: int = Field(description="Matching threads before this page, in its order.")
    score_kind: Literal["rank", "probability"] = Field(
        description="`rank`: scores only order one item's candidates; `probability`: calibrated."
    )


@router.get(
    "/review",
    response_model=ReviewPageOut,
    summary="Threads whose opportunity needs a person's choice, a page at a time",
)
def review(
    request: Request,
    who: Who,
    rep_id: str | None = None,
    account_id: str | None = None,
    kind: Literal[ACTIVITY_KINDS] | None = None,  # type: ignore[valid-type]
    order: Literal[ORDERS] = "oldest",  # type: ignore[valid-type]
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ReviewPageOut:
    page = review_queue(
        _store(request),
        rep_id=rep_id,
        account_id=account_id,
        kind=kind,
        order=order,
        cursor=cursor,
        limit=limit,
        scope=who.scope,
    )
    return ReviewPageOut(
        items=[
            ReviewItemOut(
                activity_id=i.activity_id,
                kind=i.kind,
                direction=i.direction,
                occurred_at=i.occurred_at,
                rep_id=i.rep_id,
                rep_name=i.rep_name,
                account_id=i.account_id,
                account=i.account_name,
                contact_id=i.contact_id,
                contact_name=i.contact_name,
                contact_title=i.contact_title,
                subject=i.subject,
                excerpt=i.excerpt,
                reason=i.reason,
                thread_size=i.thread_size,
                suggestions=[
                    ReviewSuggestionOut(
                        opportunity_id=o,
                        name=i.names.get(o),
                        rank=rank,
                        score=score,
                        reason=why,
                        contact_waiting=i.contact_waiting.get(o, 0),
                    )
                    for rank, (o, score, why) in enumerate(i.suggestions, start=1)
                ],
            )
            for i in page.items
        ],
        next_cursor=page.next_cursor,
        previous_cursor=page.previous_cursor,
        total=page.total,
        start=page.start,
        score_kind="probability" if page.scores_are_probabilities else "rank",
    )


class ThreadMessageOut(BaseModel):
    activity_id: int
    kind: str
    direction: str
    occurred_at: datetime
    subject: str | None
    sender: str | None
    excerpt: str | None
    status: str


class ThreadOut(BaseModel):
    activity_id: int
    items: list[ThreadMessageOut] = Field(
        description="The thread's visible messages, oldest first."
    )


@router.get(
    "/review/{activity_id}/thread",
    response_model=ThreadOut,
    summary="The messages of a review item's thread",
)
def review_thread_messages(request: Request, who: Who, activity_id: int) -> ThreadOut:
    messages = review_thread(_store(request), activity_id, scope=who.scope)
    return ThreadOut(
        activity_id=activity_id,
        items=[ThreadMessageOut(**vars(m)) for m in messages],
    )


class ReviewChoice(BaseModel):
    action: Literal["link", "account_only", "unlink"]
    opportunity_id: str | None = Field(default=None, description="Required for `link`.")
    apply_to: Literal["contact"] | None = Field(
        default=None,
        description="`contact`: also file every waiting item of the same contact whose "
        "suggestions include this opportunity (with `link` only).",
    )

    @model_validator(mode="after")
    def _opportunity_for_link(self) -> ReviewChoice:
        if self.action == "link" and not self.opportunity_id:
            raise ValueError("opportunity_id is required when action is link")
        if self.apply_to and self.action != "link":
            raise ValueError("apply_to=contact needs action link and an opportunity_id")
        return self


class ResolutionOut(BaseModel):
    activity_ids: list[int] = Field(description="Every activity filed.")
    opportunity_id: str | None
    account_id: str | None
    threads: int = Field(description="Queue items (threads) filed.")


@router.post(
    "/review/{activity_id}",
    response_model=ResolutionOut,
    summary="Resolve a review item for its whole thread (and the contact's others)",
)
def resolve_review(
    request: Request, who: Who, activity_id: int, body: ReviewChoice
) -> ResolutionOut:
    done = resolve(
        _store(request),
        activity_id,
        opportunity_id=body.opportunity_id if body.action == "link" else None,
        account_only=body.action == "account_only",
        unlink=body.action == "unlink",
        same_contact=body.apply_to == "contact",
        who=who.account.email,
        scope=who.scope,
    )
    return ResolutionOut(
        activity_ids=done.activity_ids,
        opportunity_id=done.opportunity_id,
        account_id=done.account_id,
        threads=done.threads,
    )
