"""The REST API, ``/api/v1``: thin handlers over the CRM queries, review and capture push.

Every route here runs :func:`~rightturn.web.security.viewer` (attached to the router, so a new
route cannot forget it) and :func:`~rightturn.web.security.csrf_protect`. A record outside the
viewer's scope is a 404 exactly like one that does not exist.

Every input is bounded by its schema before a handler runs: ids are ints within PostgreSQL's
``integer`` or strings within their column, text has no NUL (PostgreSQL cannot store one) and a
length its column holds, times lie between 1970 and 2100, lists and bodies have a size. What the
schema cannot say (a phone number that does not parse, a cursor this server did not give out, no
known rep among the parties) is a 422 whose ``detail`` is a sentence; a value the schema refuses is
a 422 whose ``detail`` lists each one with its ``loc``. Both shapes are in the OpenAPI document.

Every route declares what it answers (a ``response_model`` from :mod:`rightturn.web.schemas`):
FastAPI checks each answer against it, and the document shows every key.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, WithJsonSchema

from rightturn.associate.identity import IdentityIndex, load_index
from rightturn.associate.review import ORDERS, resolve, review_queue, review_thread
from rightturn.capture.push import MAX_ATTENDEES, call_item, meeting_item, push, reps_of
from rightturn.crm import queries
from rightturn.crm.bounds import INT32_MAX, LONGEST_CALL_S, OutOfBounds, bounded_time
from rightturn.crm.model import ACTIVITY_KINDS, ASSOCIATION_STATUSES, OPPORTUNITY_STATUSES
from rightturn.crm.store import Store
from rightturn.errors import ParseError, PermissionDenied
from rightturn.web.schemas import (
    AccountOut,
    AccountPageOut,
    ActivityDetailOut,
    ActivityPageOut,
    ContactOut,
    ContactPageOut,
    ErrorOut,
    MeOut,
    OpportunityDetailOut,
    OpportunityPageOut,
    PushOut,
    RepOut,
    RepsOut,
    ResolutionOut,
    ReviewItemOut,
    ReviewPageOut,
    ReviewSuggestionOut,
    TeamsOut,
    ThreadMessageOut,
    ThreadOut,
    ValidationErrorOut,
)
from rightturn.web.security import Viewer, csrf_protect, viewer

# PostgreSQL text cannot hold a NUL character: every string the API takes refuses one (422).
NO_NUL = r"^[^\x00]*$"
ID_LENGTH = 64  # the CRM's ids (rep, account, contact, opportunity, team): crm.model.ID
SEARCH_LENGTH = 200  # `q`: part of a name, not a document
# An account's cursor holds its name (up to 300 characters), JSON-escaped and base64-encoded.
CURSOR_LENGTH = 4096
EXTERNAL_ID_LENGTH = 500  # 4 bytes a character at worst: within PostgreSQL's 2,704-byte index key


_ERRORS: dict[int, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body is not JSON (or not UTF-8)."},
    401: {
        "model": ErrorOut,
        "description": "Not signed in: send `Authorization: Bearer TOKEN`.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    403: {"model": ErrorOut, "description": "Not yours to change (or a stale form's CSRF token)."},
    404: {"model": ErrorOut, "description": "No such record, or one outside your scope."},
    413: {"model": ErrorOut, "description": "The request body is larger than the API takes."},
    422: {
        "model": ValidationErrorOut | ErrorOut,
        "description": "A parameter or field the schema refuses (`detail` lists each with its "
        "`loc`), or a value it cannot use (`detail` says which and what to do).",
    },
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries for the error statuses a route can answer."""
    return {status: _ERRORS[status] for status in statuses}


router = APIRouter(
    prefix="/api/v1",
    dependencies=[Depends(viewer), Depends(csrf_protect)],
    responses=_errors(401),
)
Who = Annotated[Viewer, Depends(viewer)]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT, description="Rows per page.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=CURSOR_LENGTH,
        pattern=NO_NUL,
        description="`next_cursor` of the previous page of the same list.",
    ),
]
Search = Annotated[
    str | None,
    Query(max_length=SEARCH_LENGTH, pattern=NO_NUL, description="Part of the name."),
]
IdFilter = Annotated[
    str | None, Query(max_length=ID_LENGTH, pattern=NO_NUL, description="Only this one's.")
]
IdPath = Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)]
# activity_id is PostgreSQL's `integer`: a larger id names nothing, and binding one is an error.
ActivityId = Annotated[int, Path(ge=1, le=INT32_MAX, description="An activity's id.")]
INDEX_TTL = 60.0  # seconds a pushed item may see identities as they were
_PUSH_LOCK = threading.Lock()

# What a time looks like as text: ISO 8601, year first (a bare number would be read as seconds
# since 1970), years 1970 to 2099 as the schema's pattern says.
_TIME_TEXT = re.compile(r"^(19[7-9][0-9]|20[0-9][0-9])-[0-9]{2}-[0-9]{2}")
_TIME_PATTERN = _TIME_TEXT.pattern
_TIME_HINT = "an ISO 8601 time with its zone between 1970 and 2100, e.g. 2026-05-04T15:54:01+00:00"


def _time_text(value: Any) -> Any:
    if isinstance(value, datetime):  # built in Python, not parsed from a request
        return value
    if not isinstance(value, str) or not _TIME_TEXT.match(value):
        raise ValueError(f"{value!r} is not {_TIME_HINT}")
    return value


def _zoned_in_window(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"the time has no time zone: send {_TIME_HINT}")
    try:
        return bounded_time(value, "the time")
    except OutOfBounds as exc:
        raise ValueError(f"{exc}: send {_TIME_HINT}") from None


def _utc_in_window(value: datetime) -> datetime:
    # A filter's time without a zone is read as UTC, as the database stores times.
    return _zoned_in_window(value if value.tzinfo else value.replace(tzinfo=UTC))


def _time_schema(description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": _TIME_PATTERN,
            "description": description,
        }
    )


Time = Annotated[
    datetime,
    BeforeValidator(_time_text),
    AfterValidator(_zoned_in_window),
    _time_schema("ISO 8601 with a time zone, between 1970 and 2100."),
]
FilterTime = Annotated[
    datetime,
    BeforeValidator(_time_text),
    AfterValidator(_utc_in_window),
    _time_schema("ISO 8601, between 1970 and 2100 (UTC when no zone is given)."),
]


def _cursor_fits(cursor: str | None, *parts: str) -> None:
    """Refuse a cursor that is not one this list gave out (422 naming it): another list's, a
    forged one, or one whose values cannot be compared with the rows.

    ``parts`` is the cursor's shape: ``text`` (a name or an id), ``id`` (an activity id),
    ``time`` (an ISO 8601 time) or ``way`` (the review queue's direction).
    """
    if not cursor:
        return
    values = queries.decode_cursor(cursor, len(parts))
    if not all(_part_fits(value, part) for value, part in zip(values, parts, strict=True)):
        raise ParseError(
            f"cursor {cursor!r} is not one this list gave out: pass the `next_cursor` (or "
            "`previous_cursor`) of the same list, or start without one"
        )


def _part_fits(value: Any, part: str) -> bool:
    if part == "id":
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= INT32_MAX
    if not isinstance(value, str) or "\x00" in value or not _utf8(value):
        return False
    if part == "way":
        return value in ("after", "before")
    if part == "time":
        # A stored time, not an input: no window (rows captured before the bounds may lie
        # outside it), only one the database can compare with, which year 1 at +23:59 is not.
        try:
            when = datetime.fromisoformat(value)
            (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValueError, OverflowError):
            return False
    return True


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no database stores it
        return False
    return True


def _store(request: Request) -> Store:
    return request.app.state.store


def _page(page: queries.Page) -> dict[str, Any]:
    out: dict[str, Any] = {"items": page.items, "next_cursor": page.next_cursor}
    if page.total is not None:
        out["total"] = page.total
    return out


@router.get("/me", response_model=MeOut, summary="The signed-in user and what they may see")
def me(who: Who) -> MeOut:
    a = who.account
    return MeOut(
        email=a.email,
        role=a.role,
        rep_id=a.rep_id,
        team_id=a.team_id,
        rep_ids=None if who.scope.rep_ids is None else sorted(who.scope.rep_ids),
    )


@router.get(
    "/reps", response_model=RepsOut, summary="Reps the viewer may see", responses=_errors(422)
)
def reps(request: Request, who: Who, team_id: IdFilter = None) -> dict[str, Any]:
    with _store(request).session() as s:
        return {"items": queries.list_reps(s, who.scope, team_id=team_id)}


@router.get("/reps/{rep_id}", response_model=RepOut, summary="One rep", responses=_errors(404, 422))
def rep(request: Request, who: Who, rep_id: IdPath) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_rep(s, who.scope, rep_id)


@router.get("/teams", response_model=TeamsOut, summary="Teams with reps the viewer may see")
def teams(request: Request, who: Who) -> dict[str, Any]:
    with _store(request).session() as s:
        return {"items": queries.list_teams(s, who.scope)}


@router.get(
    "/accounts", response_model=AccountPageOut, summary="Accounts, by name", responses=_errors(422)
)
def accounts(
    request: Request, who: Who, q: Search = None, cursor: Cursor = None, limit: Limit = 100
) -> dict[str, Any]:
    _cursor_fits(cursor, "text", "text")
    with _store(request).session() as s:
        return _page(queries.list_accounts(s, who.scope, q=q, cursor=cursor, limit=limit))


@router.get(
    "/accounts/{account_id}",
    response_model=AccountOut,
    summary="One account",
    responses=_errors(404, 422),
)
def account(request: Request, who: Who, account_id: IdPath) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_account(s, who.scope, account_id)


@router.get(
    "/contacts",
    response_model=ContactPageOut,
    summary="Contacts at visible accounts",
    responses=_errors(422),
)
def contacts(
    request: Request,
    who: Who,
    account_id: IdFilter = None,
    q: Search = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    _cursor_fits(cursor, "text")
    with _store(request).session() as s:
        page = queries.list_contacts(
            s, who.scope, account_id=account_id, q=q, cursor=cursor, limit=limit
        )
        return _page(page)


@router.get(
    "/contacts/{contact_id}",
    response_model=ContactOut,
    summary="One contact",
    responses=_errors(404, 422),
)
def contact(request: Request, who: Who, contact_id: IdPath) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_contact(s, who.scope, contact_id)


@router.get(
    "/opportunities",
    response_model=OpportunityPageOut,
    summary="Opportunities, filtered and sorted",
    responses=_errors(422),
)
def opportunities(
    request: Request,
    who: Who,
    rep_id: IdFilter = None,
    account_id: IdFilter = None,
    status: Literal[OPPORTUNITY_STATUSES] | None = None,  # type: ignore[valid-type]
    stage: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    q: Annotated[
        str | None,
        Query(max_length=SEARCH_LENGTH, pattern=NO_NUL, description="Part of the name or account."),
    ] = None,
    sort: Literal[tuple(queries.OPPORTUNITY_SORTS)] = "close_date",  # type: ignore[valid-type]
    desc: bool = False,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    # This list pages by offset: its cursor is a row count (ASCII digits, within an integer).
    if cursor and not (cursor.isascii() and cursor.isdigit() and int(cursor) <= INT32_MAX):
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


@router.get(
    "/opportunities/{opportunity_id}",
    response_model=OpportunityDetailOut,
    summary="One opportunity with its stage history",
    responses=_errors(404, 422),
)
def opportunity(request: Request, who: Who, opportunity_id: IdPath) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_opportunity(s, who.scope, opportunity_id)


@router.get(
    "/activities",
    response_model=ActivityPageOut,
    summary="Captured activities, newest first",
    responses=_errors(422),
)
def activities(
    request: Request,
    who: Who,
    rep_id: IdFilter = None,
    account_id: IdFilter = None,
    opportunity_id: IdFilter = None,
    contact_id: IdFilter = None,
    kind: Literal[ACTIVITY_KINDS] | None = None,  # type: ignore[valid-type]
    status: Literal[ASSOCIATION_STATUSES] | None = None,  # type: ignore[valid-type]
    since: Annotated[FilterTime | None, Query(description="From this time (inclusive).")] = None,
    until: Annotated[FilterTime | None, Query(description="Before this time.")] = None,
    order: Literal["newest", "oldest"] = "newest",
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    _cursor_fits(cursor, "time", "id")
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


@router.get(
    "/activities/{activity_id}",
    response_model=ActivityDetailOut,
    summary="One activity with body excerpt and participants",
    responses=_errors(404, 422),
)
def activity(request: Request, who: Who, activity_id: ActivityId) -> dict[str, Any]:
    with _store(request).session() as s:
        return queries.get_activity(s, who.scope, activity_id)


def _text(
    max_length: int, description: str | None = None, *, min_length: int = 0, **default: Any
) -> Any:
    """A JSON string field: no NUL, at most ``max_length`` characters (its column's size).
    ``default=None`` makes it optional."""
    return Field(
        min_length=min_length or None,
        max_length=max_length,
        pattern=NO_NUL,
        description=description,
        **default,
    )


class Attendee(BaseModel):
    email: str = _text(320, "The attendee's email address.", min_length=1)
    name: str | None = _text(300, default=None)
    response: Literal["accepted", "declined", "tentative", "needs_action"] | None = None


class _Pushed(BaseModel):
    external_id: str = _text(
        EXTERNAL_ID_LENGTH, "The other system's id: a repeat is a no-op.", min_length=1
    )
    started_at: Time
    duration_s: int | None = Field(
        default=None, ge=0, le=LONGEST_CALL_S, description="Seconds, at most a week."
    )
    subject: str | None = _text(1000, default=None)
    notes: str | None = _text(20000, default=None)


class PushedCall(_Pushed):
    """A call from a dialer or phone system: both numbers, as dialled or in E.164."""

    kind: Literal["call"]
    from_number: str = _text(64, "The caller's number.", min_length=1)
    to_number: str = _text(64, "The number called.", min_length=1)
    direction: Literal["inbound", "outbound"] | None = None
    outcome: Literal["connected", "voicemail", "no_answer"] | None = None


class PushedMeeting(_Pushed):
    """A meeting from a meeting tool: its organizer and attendees by email."""

    kind: Literal["meeting"]
    organizer: str = _text(320, "The organizer's email address.", min_length=1)
    attendees: list[Attendee] = Field(
        default_factory=list, max_length=MAX_ATTENDEES, description="At most 500."
    )
    cancelled: bool = False


PushedActivity = Annotated[PushedCall | PushedMeeting, Field(discriminator="kind")]


def _index(request: Request) -> IdentityIndex:
    """The identity index, kept between pushes and reloaded when older than ``INDEX_TTL``."""
    state = request.app.state
    loaded, index = getattr(state, "identity_index", (0.0, None))
    if index is None or time.monotonic() - loaded > INDEX_TTL:
        with state.store.session() as s:
            index = load_index(s)
        state.identity_index = (time.monotonic(), index)
    return index


@router.post(
    "/activities",
    status_code=201,
    response_model=PushOut,
    summary="Push a call or meeting through the capture pipeline",
    responses={
        201: {"description": "Stored: the new activity"},
        200: {
            "model": PushOut,
            "description": "Already captured (`duplicate`, the stored activity), or left out by "
            "a filter (`dropped`, with the reason)",
        },
        **_errors(400, 403, 404, 413, 422),
    },
)
def push_activity(
    request: Request, who: Who, body: Annotated[PushedActivity, Body()]
) -> JSONResponse:
    settings = request.app.state.settings
    if isinstance(body, PushedCall):
        item = call_item(
            external_id=body.external_id,
            started_at=body.started_at,
            from_number=body.from_number,
            to_number=body.to_number,
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
            organizer=body.organizer,
            attendees=[(a.email, a.name, a.response) for a in body.attendees],
            duration_s=body.duration_s,
            subject=body.subject,
            notes=body.notes,
            cancelled=body.cancelled,
        )
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


@router.get(
    "/review",
    response_model=ReviewPageOut,
    summary="Threads whose opportunity needs a person's choice, a page at a time",
    responses=_errors(422),
)
def review(
    request: Request,
    who: Who,
    rep_id: IdFilter = None,
    account_id: IdFilter = None,
    kind: Literal[ACTIVITY_KINDS] | None = None,  # type: ignore[valid-type]
    order: Literal[ORDERS] = "oldest",  # type: ignore[valid-type]
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ReviewPageOut:
    _cursor_fits(cursor, "way", "time", "id")
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


@router.get(
    "/review/{activity_id}/thread",
    response_model=ThreadOut,
    summary="The messages of a review item's thread",
    responses=_errors(404, 422),
)
def review_thread_messages(request: Request, who: Who, activity_id: ActivityId) -> ThreadOut:
    messages = review_thread(_store(request), activity_id, scope=who.scope)
    return ThreadOut(
        activity_id=activity_id,
        items=[ThreadMessageOut(**vars(m)) for m in messages],
    )


class LinkChoice(BaseModel):
    """File the thread under an opportunity (and, with ``apply_to``, the contact's others)."""

    action: Literal["link"]
    opportunity_id: str = Field(
        min_length=1, max_length=ID_LENGTH, pattern=NO_NUL, description="The opportunity."
    )
    apply_to: Literal["contact"] | None = Field(
        default=None,
        description="`contact`: also file every waiting item of the same contact whose "
        "suggestions include this opportunity.",
    )


class OtherChoice(BaseModel):
    """File the thread under its account only, or under nothing."""

    action: Literal["account_only", "unlink"]
    opportunity_id: str | None = Field(
        default=None,
        max_length=ID_LENGTH,
        pattern=NO_NUL,
        description="Ignored: only `link` files under an opportunity.",
    )
    apply_to: None = Field(
        default=None,
        description="Not with this action: `apply_to` files a contact's items for an "
        "opportunity, which needs `link`.",
    )


ReviewChoice = Annotated[LinkChoice | OtherChoice, Field(discriminator="action")]


@router.post(
    "/review/{activity_id}",
    response_model=ResolutionOut,
    summary="Resolve a review item for its whole thread (and the contact's others)",
    responses=_errors(400, 403, 404, 413, 422),
)
def resolve_review(
    request: Request, who: Who, activity_id: ActivityId, body: Annotated[ReviewChoice, Body()]
) -> ResolutionOut:
    link = isinstance(body, LinkChoice)
    done = resolve(
        _store(request),
        activity_id,
        opportunity_id=body.opportunity_id if link else None,
        account_only=body.action == "account_only",
        unlink=body.action == "unlink",
        same_contact=link and body.apply_to == "contact",
        who=who.account.email,
        scope=who.scope,
    )
    return ResolutionOut(
        activity_ids=done.activity_ids,
        opportunity_id=done.opportunity_id,
        account_id=done.account_id,
        threads=done.threads,
    )
