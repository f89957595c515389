"""The review queue: activities the engine could not file on its own."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rightturn.analytics.cache import cached_review_accounts, cached_review_waiting
from rightturn.associate.review import (
    ORDERS,
    resolve,
    review_queue,
    review_thread,
)
from rightturn.crm import queries
from rightturn.crm.model import ACTIVITY_KINDS
from rightturn.errors import NotFound, ParseError
from rightturn.web.pages.base import (
    PAGE,
    Who,
    render,
    rep_choices,
    router,
    store_of,
)

# --- review queue ----------------------------------------------------------------------------


REVIEW_FILTERS = ("rep_id", "account_id", "kind", "order", "cursor")


def _count(value: str | None, name: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise ParseError(f"{name}={value!r} is not a count")
    return int(value)


@router.get("/review", response_class=HTMLResponse)
def review(
    request: Request,
    who: Who,
    rep_id: str | None = None,
    account_id: str | None = None,
    kind: str | None = None,
    order: str = "oldest",
    cursor: str | None = None,
    done: str | None = None,
    items: str | None = None,
    under: str | None = None,
) -> HTMLResponse:
    if order not in ORDERS:
        raise ParseError(f"order={order!r} is not one of {', '.join(ORDERS)}")
    if kind and kind not in ACTIVITY_KINDS:
        raise ParseError(f"kind={kind!r} is not one of {', '.join(ACTIVITY_KINDS)}")
    filed, threads = _count(done, "done"), _count(items, "items")
    store = store_of(request)
    filtered = bool(rep_id or account_id or kind)
    # Every waiting thread in scope: the badge's count, cached until the data changes.
    waiting = cached_review_waiting(store, who.scope)
    page = review_queue(
        store,
        rep_id=rep_id or None,
        account_id=account_id or None,
        kind=kind or None,
        order=order,
        cursor=cursor or None,
        limit=PAGE,
        scope=who.scope,
        total=None if filtered else waiting,
    )
    with store.session() as s:
        reps = rep_choices(s, who)
        filed_under = None
        if under and filed:
            try:
                filed_under = queries.get_opportunity(s, who.scope, under)["name"] or under
            except NotFound:
                filed_under = None
    return render(
        request,
        "review.html",
        page=page,
        items=page.items,
        total=page.total,
        waiting=waiting,
        review_waiting=waiting,
        done=filed,
        done_items=threads,
        filed_under=filed_under,
        reps=reps,
        accounts=cached_review_accounts(store, who.scope),
        kinds=ACTIVITY_KINDS,
        orders=ORDERS,
        f={"rep_id": rep_id or "", "account_id": account_id or "", "kind": kind or ""},
        order=order,
        filtered=filtered,
        back=urlencode({k: v for k in REVIEW_FILTERS if (v := request.query_params.get(k))}),
    )


@router.get("/review/{activity_id}/thread", response_class=HTMLResponse)
def review_thread_page(
    request: Request, who: Who, activity_id: int, fragment: bool = False
) -> HTMLResponse:
    messages = review_thread(store_of(request), activity_id, scope=who.scope)
    return render(
        request,
        "_thread.html" if fragment else "review_thread.html",
        messages=messages,
        activity_id=activity_id,
    )


@router.post("/review/{activity_id}")
def resolve_review(
    request: Request,
    who: Who,
    activity_id: int,
    action: Annotated[str | None, Form()] = None,
    opportunity_id: Annotated[str | None, Form()] = None,
    apply_to: Annotated[str | None, Form()] = None,
    back: Annotated[str | None, Form()] = None,
) -> Response:
    if action not in ("link", "account_only", "unlink"):
        raise ParseError(f"action={action!r} is not one of link, account_only, unlink")
    if action == "link" and not opportunity_id:
        raise ParseError("choose an opportunity to link the thread to")
    if apply_to not in (None, "", "contact"):
        raise ParseError(f"apply_to={apply_to!r} is not contact")
    if apply_to and action != "link":
        raise ParseError("filing every item of a contact needs a deal: choose one")
    done = resolve(
        store_of(request),
        activity_id,
        opportunity_id=opportunity_id if action == "link" else None,
        account_only=action == "account_only",
        unlink=action == "unlink",
        same_contact=bool(apply_to),
        who=who.account.email,
        scope=who.scope,
    )
    # Back to the same page and filters: a keyset page shows what follows the filed items.
    kept = {k: v for k, v in parse_qsl(back or "") if k in REVIEW_FILTERS}
    kept.update(done=str(len(done.activity_ids)), items=str(done.threads))
    if done.opportunity_id:
        kept["under"] = done.opportunity_id
    return RedirectResponse(f"/review?{urlencode(kept)}", status_code=303)
