"""The panel: server-rendered pages (Jinja2) over the same domain functions as the API.

``public`` holds only the sign-in page; every route of ``router`` runs the viewer and CSRF
checks. Tables sort and filter through query parameters, so every view has a URL to share.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rightturn.analytics.activity import activity_mix, week_over_week
from rightturn.analytics.pipeline import open_by_stage, quiet_deals
from rightturn.analytics.report import metrics_report, whatif_report
from rightturn.analytics.snapshot import as_of_datetime
from rightturn.associate.review import (
    ORDERS,
    resolve,
    review_accounts,
    review_queue,
    review_thread,
)
from rightturn.crm import queries
from rightturn.crm.model import ACTIVITY_KINDS, ASSOCIATION_STATUSES, OPPORTUNITY_STATUSES, Rep
from rightturn.crm.stages import stage_order
from rightturn.crm.store import Store
from rightturn.crm.users import authenticate, end_session, start_session
from rightturn.errors import Conflict, NotFound, ParseError
from rightturn.web import charts
from rightturn.web.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    Viewer,
    client_address,
    csrf_protect,
    csrf_token,
    set_cookie,
    viewer,
)

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
public = APIRouter(include_in_schema=False)
router = APIRouter(include_in_schema=False, dependencies=[Depends(viewer), Depends(csrf_protect)])
Who = Annotated[Viewer, Depends(viewer)]
PAGE = 50


def _store(request: Request) -> Store:
    return request.app.state.store


def _render(request: Request, name: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    who = getattr(request.state, "viewer", None)
    context.update(
        request=request,
        who=who,
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(request),
        url_with=lambda **kw: _url_with(request, **kw),
    )
    if who is not None and "review_waiting" not in context:
        context["review_waiting"] = review_queue(_store(request), limit=0, scope=who.scope).total
    return templates.TemplateResponse(request, name, context, status_code=http_status)


def _url_with(request: Request, **changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return request.url.path + ("?" + urlencode(params) if params else "")


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return _render(request, "error.html", http_status=status, status_code=status, message=message)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would hand the session to another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


MAX_REP_CHOICES = 200


def _rep_choices(s: Session, who: Viewer) -> list[dict[str, Any]]:
    """The reps a filter menu offers; none (the menu is hidden) beyond what fits a menu —
    an admin of a large org filters by rep from the rep's own page instead."""
    if who.scope.rep_ids is not None and len(who.scope.rep_ids) <= MAX_REP_CHOICES:
        return queries.list_reps(s, who.scope)
    if (s.scalar(select(func.count()).select_from(Rep)) or 0) <= MAX_REP_CHOICES:
        return queries.list_reps(s, who.scope)
    return []


# --- signing in and out ------------------------------------------------------------------


@public.get("/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _render(request, "login.html", next=_safe_next(next), error=None)


@public.post("/login", dependencies=[Depends(csrf_protect)])
def login(
    request: Request,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    limiter = request.app.state.limiter
    client = client_address(request)
    wait = limiter.retry_after(client, email)
    if wait:
        limited = _render(
            request,
            "login.html",
            http_status=429,
            next=_safe_next(next),
            error=f"Too many failed sign-ins. Try again in {max(wait // 60, 1)} minutes.",
        )
        limited.headers["Retry-After"] = str(wait)
        return limited
    account = authenticate(_store(request), email, password)
    if account is None:
        limiter.failed(client, email)
        return _render(
            request,
            "login.html",
            http_status=401,
            next=_safe_next(next),
            error="That email and password do not match an active user.",
        )
    limiter.succeeded(client, email)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, start_session(_store(request), account.user_id))
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_session(_store(request), token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- home ------------------------------------------------------------------------------------


def _as_of(value: str | None) -> datetime:
    """The end of the ``as_of`` day (now when absent), as every analysis takes it."""
    try:
        return as_of_datetime(date.fromisoformat(value) if value else None)
    except ValueError:
        raise ParseError(f"as_of={value!r} is not a date like 2026-05-04") from None


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Who, as_of: str | None = None) -> HTMLResponse:
    when = _as_of(as_of)
    with _store(request).session() as s:
        wow = week_over_week(s, who.scope, as_of=when)
        stages = open_by_stage(s, who.scope)
        quiet, quiet_total = quiet_deals(s, who.scope, as_of=when, limit=15)
        captured = queries.list_activities(s, who.scope, limit=1).items
    waiting = review_queue(_store(request), limit=0, scope=who.scope).total
    return _render(
        request,
        "home.html",
        as_of=when,
        wow=wow,
        week_chart=charts.week_over_week_chart(wow.this_week, wow.last_week)
        if any(wow.this_week.values()) or any(wow.last_week.values())
        else None,
        stages=stages,
        pipeline_chart=charts.open_pipeline_chart(stages) if stages else None,
        quiet=quiet,
        quiet_total=quiet_total,
        review_waiting=waiting,
        anything_captured=bool(captured),
    )


# --- opportunities ---------------------------------------------------------------------------


@router.get("/opportunities", response_class=HTMLResponse)
def opportunities(
    request: Request,
    who: Who,
    q: str | None = None,
    status: str | None = None,
    stage: str | None = None,
    rep_id: str | None = None,
    sort: str = "close_date",
    desc: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    if status and status not in OPPORTUNITY_STATUSES:
        raise ParseError(f"status={status!r} is not one of {', '.join(OPPORTUNITY_STATUSES)}")
    with _store(request).session() as s:
        page = queries.list_opportunities(
            s,
            who.scope,
            q=q,
            status=status,
            stage=stage or None,
            rep_id=rep_id or None,
            sort=sort,
            descending=desc,
            offset=offset,
            limit=PAGE,
        )
        stages = stage_order(s)
        reps = _rep_choices(s, who)
    return _render(
        request,
        "opportunities.html",
        page=page,
        offset=offset,
        limit=PAGE,
        q=q or "",
        status=status or "",
        stage=stage or "",
        rep_id=rep_id or "",
        sort=sort,
        desc=desc,
        statuses=OPPORTUNITY_STATUSES,
        stages=stages,
        reps=reps,
    )


@router.get("/opportunities/{opportunity_id}", response_class=HTMLResponse)
def opportunity(
    request: Request, who: Who, opportunity_id: str, cursor: str | None = None
) -> HTMLResponse:
    with _store(request).session() as s:
        opp = queries.get_opportunity(s, who.scope, opportunity_id)
        history = queries.list_activities(
            s,
            who.scope,
            queries.ActivityFilter(opportunity_id=opportunity_id),
            cursor=cursor,
            limit=PAGE,
            body=True,
        )
    return _render(request, "opportunity.html", opp=opp, history=history)


# --- reps ------------------------------------------------------------------------------------


@router.get("/reps", response_class=HTMLResponse)
def reps(
    request: Request, who: Who, q: str | None = None, sort: str = "name", desc: bool = False
) -> HTMLResponse:
    with _store(request).session() as s:
        rows = queries.list_reps(s, who.scope)
    if q:
        rows = [r for r in rows if q.lower() in (r["name"] + " " + (r["team"] or "")).lower()]
    if sort not in ("name", "team", "quota"):
        raise ParseError(f"sort={sort!r} is not one of name, team, quota")
    rows.sort(key=lambda r: (r[sort] is None, r[sort] or 0 if sort == "quota" else r[sort] or ""))
    if desc:
        rows.reverse()
    return _render(request, "reps.html", reps=rows, q=q or "", sort=sort, desc=desc)


@router.get("/reps/{rep_id}", response_class=HTMLResponse)
def rep(request: Request, who: Who, rep_id: str, as_of: str | None = None) -> HTMLResponse:
    when = _as_of(as_of)
    with _store(request).session() as s:
        person = queries.get_rep(s, who.scope, rep_id)
        mix = activity_mix(s, who.scope, rep_id=rep_id, as_of=when)
        wow = week_over_week(s, who.scope, as_of=when, rep_id=rep_id)
        deals = queries.list_opportunities(
            s, who.scope, rep_id=rep_id, status="open", sort="close_date", limit=100
        )
        recent = queries.list_activities(
            s, who.scope, queries.ActivityFilter(rep_id=rep_id), limit=20
        )
    return _render(
        request,
        "rep.html",
        rep=person,
        wow=wow,
        mix_chart=charts.activity_mix_chart(mix, f"{person['name']}: activity mix per week")
        if any(r["count"] for r in mix)
        else None,
        deals=deals,
        recent=recent,
    )


# --- activities ------------------------------------------------------------------------------


@router.get("/activities", response_class=HTMLResponse)
def activities(
    request: Request,
    who: Who,
    kind: str | None = None,
    status: str | None = None,
    rep_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    order: str = "newest",
    cursor: str | None = None,
) -> HTMLResponse:
    if order not in ("newest", "oldest"):
        raise ParseError(f"order={order!r} is not one of newest, oldest")
    if kind and kind not in ACTIVITY_KINDS:
        raise ParseError(f"kind={kind!r} is not one of {', '.join(ACTIVITY_KINDS)}")
    if status and status not in ASSOCIATION_STATUSES:
        raise ParseError(f"status={status!r} is not one of {', '.join(ASSOCIATION_STATUSES)}")
    where = queries.ActivityFilter(
        kind=kind or None,
        status=status or None,
        rep_id=rep_id or None,
        since=_as_of(since).replace(hour=0, minute=0, second=0, microsecond=0) if since else None,
        until=_as_of(until) if until else None,
    )
    with _store(request).session() as s:
        page = queries.list_activities(
            s, who.scope, where, cursor=cursor, limit=PAGE, oldest_first=order == "oldest"
        )
        reps = _rep_choices(s, who)
    return _render(
        request,
        "activities.html",
        page=page,
        kind=kind or "",
        status=status or "",
        rep_id=rep_id or "",
        since=since or "",
        until=until or "",
        order=order,
        kinds=ACTIVITY_KINDS,
        statuses=ASSOCIATION_STATUSES,
        reps=reps,
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
    store = _store(request)
    page = review_queue(
        store,
        rep_id=rep_id or None,
        account_id=account_id or None,
        kind=kind or None,
        order=order,
        cursor=cursor or None,
        limit=PAGE,
        scope=who.scope,
    )
    filtered = bool(rep_id or account_id or kind)
    waiting = review_queue(store, limit=0, scope=who.scope).total if filtered else page.total
    with store.session() as s:
        reps = _rep_choices(s, who)
        filed_under = None
        if under and filed:
            try:
                filed_under = queries.get_opportunity(s, who.scope, under)["name"] or under
            except NotFound:
                filed_under = None
    return _render(
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
        accounts=review_accounts(store, scope=who.scope),
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
    messages = review_thread(_store(request), activity_id, scope=who.scope)
    return _render(
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
        _store(request),
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


# --- pipeline analytics ----------------------------------------------------------------------

PERIODS = {"Q": "quarter", "M": "month"}
DEALS_LISTED = 50  # deals listed under each integrity flag and as stalled (the largest)
IDS_LISTED = 200  # deal links listed under each waterfall bar
REP_ROWS = 250  # reps in the coverage table (the largest by won value); the chart picks its own
FLAG_INFO = {  # flag: (what it means, the extra column its deals carry, that column's header)
    "past_close_date": ("Expected close date has passed", None, None),
    "no_buyer_activity": ("No buyer response in the last 14 days", None, None),
    "skipped_stages": ("Skipped a stage", "skips", "Skips"),
    "moved_backwards": ("Moved back to an earlier stage", "moves_back", "Moves back"),
    "close_date_pushed": ("Close date pushed later", "pushes", "Pushes"),
    "single_contact": ("One contact or none in the buying group", "contacts", "Contacts"),
}
WHATIF_LABELS = {"win_rate": "win rate", "avg_deal": "average deal"}
COMPARED_LABELS = {  # pareto comparison metric: (label, format)
    "emails_per_month": ("Emails sent a month", "count"),
    "calls_per_month": ("Calls made a month", "count"),
    "meetings_per_month": ("Meetings booked a month", "count"),
    "buyer_response_rate": ("Buyer responses per outbound activity", "rate"),
    "deals_at_once": ("Deals worked at once", "count"),
    "cycle_days": ("Sales cycle (median days)", "days"),
    "avg_deal": ("Average won deal", "money"),
    "win_rate": ("Win rate", "rate"),
}


def _period(value: str | None) -> str:
    if not value:
        return "Q"
    if value not in PERIODS:
        raise ParseError(f"period={value!r} is not Q (quarter) or M (month)")
    return value


def _report(
    request: Request,
    who: Viewer,
    when: datetime,
    sections: tuple[str, ...],
    period: str | None = None,
) -> dict[str, Any]:
    """The one metrics call a page makes, over the viewer's scope, with only its sections."""
    return metrics_report(
        _store(request),
        who.scope,
        as_of=when,
        period=period,
        sections=sections,
        deals_per_flag=DEALS_LISTED,
    )


def _has_deals(report: dict[str, Any]) -> bool:
    return bool(report["won"] or report["lost"] or report["open"])


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline(
    request: Request, who: Who, as_of: str | None = None, period: str | None = None
) -> HTMLResponse:
    when, span = _as_of(as_of), _period(period)
    report = _report(request, who, when, ("integrity",), period=span)
    stages = report["stage_conversion"]
    return _render(
        request,
        "pipeline.html",
        r=report,
        as_of=when,
        period=span,
        period_name=PERIODS[span],
        has_deals=_has_deals(report),
        funnel_chart=charts.funnel_chart(stages) if any(s["reached"] for s in stages) else None,
        coverage_chart=charts.coverage_chart(report["reps"], PERIODS[span])
        if any(r["coverage"] is not None and r["required_coverage"] for r in report["reps"])
        else None,
        flag_info=FLAG_INFO,
        rep_rows=REP_ROWS,
    )


@router.get("/velocity", response_class=HTMLResponse)
def velocity_page(request: Request, who: Who, as_of: str | None = None) -> HTMLResponse:
    when = _as_of(as_of)
    report = _report(request, who, when, ("velocity", "flow"))
    v, f = report.get("velocity"), report.get("flow")
    return _render(
        request,
        "velocity.html",
        r=report,
        v=v,
        f=f,
        as_of=when,
        has_deals=_has_deals(report),
        stage_chart=charts.stage_time_chart(v["stage_times"]) if v and v["stage_times"] else None,
        cfd_chart=charts.cumulative_flow_chart(f)
        if f and any(sum(w[s] for s in f["stages"]) for w in f["wip"])
        else None,
        throughput_chart=charts.throughput_chart(f)
        if f and any(t["closed"] for t in f["throughput"])
        else None,
    )


@router.get("/waterfall", response_class=HTMLResponse)
def waterfall_page(
    request: Request, who: Who, as_of: str | None = None, period: str | None = None
) -> HTMLResponse:
    when, span = _as_of(as_of), _period(period)
    report = _report(request, who, when, ("waterfall",), period=span)
    w = report["waterfall"]
    return _render(
        request,
        "waterfall.html",
        w=w,
        as_of=when,
        period=span,
        period_name=PERIODS[span],
        labels=charts.WATERFALL_LABELS,
        ids_listed=IDS_LISTED,
        chart=charts.waterfall_chart(w) if any(b["deals"] for b in w["bars"]) else None,
    )


def _rate(name: str, value: str) -> float:
    """A win rate typed in the what-if form: a number in (0, 1]."""
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        raise ParseError(f"{name} {value!r} is not a number: write a win rate like 0.33") from None
    if not 0 < number <= 1:
        hint = f" (for {number:g}% write {number / 100:g})" if 1 < number <= 100 else ""
        raise ParseError(f"{name} {value!r} is not a win rate between 0 and 1{hint}")
    return number


def _whatif_form(
    request: Request,
    who: Viewer,
    when: datetime,
    metric: str,
    from_: str | None,
    to: str | None,
    team: str | None,
) -> tuple[dict[str, Any] | None, str | None]:
    """The what-if the form asks for, or the reason it cannot be computed (said in the form)."""
    try:
        if metric != "win_rate":
            raise ParseError(f"metric={metric!r}: the what-if form moves the win rate")
        if not from_ or not to:
            raise ParseError("give both rates: today's win rate (from) and the target (to)")
        before, after = _rate("from", from_), _rate("to", to)
        report = whatif_report(
            _store(request),
            who.scope,
            metric=metric,
            before=before,
            after=after,
            team=team or None,
            as_of=when,
        )
    except (ParseError, NotFound, Conflict) as exc:  # a bad rate or team
        return None, str(exc)
    return report, None


def _rate_text(rate: float | None) -> str:
    return f"{rate:.2f}" if rate else ""


@router.get("/pareto", response_class=HTMLResponse)
def pareto_page(
    request: Request,
    who: Who,
    as_of: str | None = None,
    metric: str = "win_rate",
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    team: str | None = None,
) -> HTMLResponse:
    when = _as_of(as_of)
    report = _report(request, who, when, ("pareto",))
    # (id, name) by name: the form shows names and sends ids.
    teams = sorted(
        {(r["team_id"], r["team"] or r["team_id"]) for r in report["reps"] if r["team_id"]},
        key=lambda t: (t[1], t[0]),
    )
    whatif, error = None, None
    if from_ or to:  # the what-if form was sent
        whatif, error = _whatif_form(request, who, when, metric, from_, to, team)
    p = report["pareto"]
    return _render(
        request,
        "pareto.html",
        http_status=422 if error else 200,
        r=report,
        p=p,
        as_of=when,
        chart=charts.pareto_chart(p) if any(c["won_value"] for c in p["curve"]) else None,
        compared=COMPARED_LABELS,
        whatif_labels=WHATIF_LABELS,
        teams=teams,
        form={
            "from": from_ if from_ is not None else _rate_text(report["win_rate"]),
            "to": to or "",
            "team": (whatif["team_id"] or "") if whatif else (team or ""),
        },
        whatif=whatif,
        error=error,
    )
