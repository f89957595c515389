"""A deal's features as of a moment: what a forecaster could have known then, and nothing later.

:func:`deal_features` gives one row per deal open at ``as_of``; :func:`training_features` gives,
for each deal closed in a window, its row at one or more moments of its life, with its outcome
(and whether it slipped out of its period) as labels. Both read the store once and replay it:

* stage, amount and close date as they stood at the moment (stage history and field history
  replayed with :mod:`rightturn.analytics.snapshot`'s rules: the value before the first later
  change);
* activities dated at or before the moment, on the deal, or on its account and no deal from
  :data:`~rightturn.process.criteria.PRE_DEAL_DAYS` before it was created (prospecting on an
  account qualifies the deal it turns into, as :mod:`rightturn.process.criteria` counts it);
* the owner's win rate over their deals closed by the moment, shrunk toward the org's;
* each stage's norm (median days deals spent in it) over stays finished by ``norms_at``.

The columns, in :data:`FEATURES` with their meaning, are the contract the models and the reasons
read. Nothing known only at the close (days to close, the final amount) is among them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rightturn.analytics.metrics import SHRINK, period_bounds
from rightturn.analytics.snapshot import Snapshot, as_of_datetime, load_snapshot
from rightturn.crm.model import Activity, ActivityParticipant
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store, as_driven, driver_rows
from rightturn.errors import ConfigError, ParseError
from rightturn.process.criteria import PRE_DEAL_DAYS

__all__ = [
    "CATEGORICAL",
    "FEATURES",
    "NUMERIC",
    "Training",
    "deal_features",
    "outcomes",
    "training_features",
]

# Column -> what it holds, as of the row's moment (``as_of``).
FEATURES: dict[str, str] = {
    "stage": "the stage the deal was in",
    "stage_rank": "its place among the open stages (0 = first)",
    "stages_left": "open stages still ahead of it",
    "days_in_stage": "days since it entered that stage",
    "stage_norm_days": "median days deals spent in that stage (stays finished by norms_at)",
    "stage_time_ratio": "days in stage over the stage's norm (above 1: slower than usual)",
    "expected_days_left": "the norms of the stages ahead plus what is left of this one's",
    "age_days": "days since the deal was created",
    "amount": "the amount as it stood then",
    "amount_change": "that amount over the first known amount, less 1 (0: unchanged)",
    "amount_changes": "how many times the amount had changed",
    "close_pushes": "how many times the expected close date had been moved later",
    "days_to_close": "days from then to the expected close date (negative: overdue)",
    "days_left_in_period": "days from then to the end of the expected close date's quarter",
    "backward_moves": "stage moves back to an earlier open stage",
    "stages_skipped": "open stages jumped over",
    "buyer_messages": "buyer emails and calls (inbound, from a known contact)",
    "buyer_messages_30d": "the same in the last 30 days",
    "days_since_buyer": "days since the buyer last wrote or called (age + 1 when never)",
    "rep_touches": "the rep's emails and calls to the buyer (outbound)",
    "rep_touches_30d": "the same in the last 30 days",
    "days_since_touch": "days since any activity on the deal (age + 1 when none)",
    "reply_rate": "buyer messages per rep touch (responsiveness)",
    "callbacks": "inbound calls from the buyer",
    "contacts_engaged": "different buyer contacts who wrote, called or met (multi-threading)",
    "meetings_held": "meetings with a buyer contact invited who did not decline",
    "longest_gap_days": "longest silence between activities, up to then (cadence)",
    "owner_win_rate": "the owner's win rate over deals closed by then, shrunk to the org's",
    "owner_closed": "how many deals the owner had closed by then",
    "segment": "the account's segment",
    "product": "the deal's product",
}
CATEGORICAL = ("stage", "segment", "product")
NUMERIC = tuple(c for c in FEATURES if c not in CATEGORICAL)
RECENT_DAYS = 30
DAY = pd.Timedelta(days=1)


@dataclass
class Training:
    """Rows for training (``frame``, indexed by ``opportunity_id`` and ``as_of``) with their
    labels, NA where not known by the cut-off: ``won`` (known once the deal closed) and
    ``slipped``, the deal not closed by the end of the period its close date was in at that
    moment (known once it closed, or once that end passed)."""

    frame: pd.DataFrame
    won: pd.Series
    slipped: pd.Series

    @property
    def groups(self) -> pd.Series:
        """Each row's deal, so cross-validation keeps one deal's rows in one fold."""
        ids = self.frame.index.get_level_values("opportunity_id")
        return pd.Series(ids, index=self.frame.index)

    def labelled(self, target: str) -> Training:
        """The rows whose ``target`` (``won`` or ``slipped``) is known, that label as bool."""
        if target not in ("won", "slipped"):
            raise ParseError(f"target {target!r} is not one we label: use won or slipped")
        known = getattr(self, target).notna().to_numpy()
        labels = {"won": self.won[known], "slipped": self.slipped[known]}
        labels[target] = labels[target].astype(bool)
        return Training(self.frame[known], labels["won"], labels["slipped"])


@contextmanager
def _session(source: Store | Session) -> Iterator[Session]:
    if isinstance(source, Session):
        yield source
        return
    with source.session() as s:
        yield s


def deal_features(
    source: Store | Session,
    scope: Scope,
    *,
    as_of: date | datetime,
    opportunity_ids: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per deal in ``scope`` open at ``as_of`` (only ``opportunity_ids`` when given),
    indexed by ``opportunity_id``, with the :data:`FEATURES` columns, from data dated by then."""
    when = as_of_datetime(as_of)
    with _session(source) as s:
        snap = load_snapshot(s, scope, when)
        ids = snap.open["opportunity_id"]
        if opportunity_ids is not None:
            ids = ids[ids.isin(set(opportunity_ids))]
        points = pd.DataFrame({"opportunity_id": ids.to_numpy(), "as_of": pd.Timestamp(when)})
        frame = _features(s, snap, points, norms_at=pd.Timestamp(when))
    return frame.droplevel("as_of")


def outcomes(
    source: Store | Session,
    scope: Scope,
    frame: pd.DataFrame,
    *,
    as_of: date | datetime,
    known_at: date | datetime,
) -> pd.DataFrame:
    """What became of the deals of ``frame`` (:func:`deal_features` at ``as_of``), as known at
    ``known_at``: ``won`` (True, False, or NA while still open then) and ``slipped`` (True when
    not closed by the end of its period, known once that end has passed or the deal closed;
    NA before), indexed as ``frame``. For backtests; nothing here feeds a feature."""
    when, known = as_of_datetime(as_of), pd.Timestamp(as_of_datetime(known_at))
    with _session(source) as s:
        deals = load_snapshot(s, scope, as_of_datetime(known_at)).deals
    deals = deals.set_index("opportunity_id").reindex(frame.index)
    closed = deals["status"] != "open"
    won = (deals["status"] == "won").astype("boolean").where(closed, pd.NA)
    end = pd.Timestamp(when) + pd.to_timedelta(frame["days_left_in_period"], unit="D")
    slipped = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    in_time = closed & (deals["closed_at"] <= end)
    slipped[in_time] = False
    slipped[~in_time & (end <= known)] = True
    return pd.DataFrame({"won": won, "slipped": slipped})


def training_features(
    source: Store | Session,
    scope: Scope,
    *,
    until: date | datetime,
    since: date | datetime | None = None,
    fractions: Sequence[float] | None = None,
    seed: int = 0,
    period: str = "Q",
    norms_at: date | datetime | None = None,
    include_open: bool = True,
) -> Training:
    """Deals seen at moments of their life, with what became of them as known at ``until``.

    The deals: every deal closed in ``(since, until]``, and (``include_open``) every deal still
    open at ``until``: its slip may be known already, and leaving it out would leave out the
    slowest deals, the ones that slip. A moment is ``created + f * life``, ``life`` running to
    the close (or to ``until`` for an open deal), for each ``f`` of ``fractions`` (one row per
    fraction), or, when None, one ``f`` drawn per deal uniformly from 0.1 to 0.9 with ``seed``
    (rows that look like a pipeline seen on an ordinary day: young and old deals). The features
    use only data dated by the moment; the stage norms, the stays finished by ``norms_at``
    (default ``until``: a training set is built once, at its cut-off). ``slipped`` is about the
    ``period`` (``Q`` or ``M``) holding the expected close date as it stood at the moment (or
    the moment itself, when that date had passed). Use :meth:`Training.labelled` to train.
    """
    end = as_of_datetime(until)
    with _session(source) as s:
        snap = load_snapshot(s, scope, end)
        deals = snap.deals.dropna(subset=["created_at"])
        closed = deals["status"] != "open"
        if since is not None:
            closed &= deals["closed_at"] > pd.Timestamp(as_of_datetime(since))
        deals = deals[closed | (include_open & (deals["status"] == "open"))]
        life = deals["closed_at"].fillna(pd.Timestamp(end)) - deals["created_at"]
        if fractions is None:
            rng = np.random.default_rng(seed)
            parts = [rng.uniform(0.1, 0.9, len(deals))]
        else:
            parts = [np.full(len(deals), float(f)) for f in fractions]
        points = pd.concat(
            [
                pd.DataFrame(
                    {
                        "opportunity_id": deals["opportunity_id"].to_numpy(),
                        "as_of": (deals["created_at"] + life * f).to_numpy(),
                    }
                )
                for f in parts
            ],
            ignore_index=True,
        )
        norms = pd.Timestamp(as_of_datetime(norms_at) if norms_at is not None else end)
        frame = _features(s, snap, points, norms_at=norms, period=period)
    by_id = deals.set_index("opportunity_id")
    ids = frame.index.get_level_values("opportunity_id")
    status = by_id["status"].reindex(ids).to_numpy()
    done = status != "open"
    won = pd.Series(status == "won", index=frame.index, dtype="boolean").where(done, pd.NA)
    closed_at = pd.Series(by_id["closed_at"].reindex(ids).to_numpy(), index=frame.index)
    period_end = pd.Series(
        frame.index.get_level_values("as_of")
        + pd.to_timedelta(frame["days_left_in_period"].to_numpy(), unit="D"),
        index=frame.index,
    )
    slipped = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    slipped[done] = (closed_at > period_end)[done]
    slipped[~done & (period_end <= pd.Timestamp(end)).to_numpy()] = True
    return Training(frame, won.rename("won"), slipped.rename("slipped"))


def _features(
    s: Session,
    snap: Snapshot,
    points: pd.DataFrame,
    *,
    norms_at: pd.Timestamp,
    period: str = "Q",
) -> pd.DataFrame:
    """The features of each (``opportunity_id``, ``as_of``) in ``points``."""
    history = snap.history
    if history is None:
        raise ConfigError("the snapshot has no history to replay; load it with load_snapshot")
    points = points.copy()
    points["as_of"] = pd.to_datetime(points["as_of"], utc=True)
    if points.empty:  # no deal open then: the columns, no rows
        index = pd.MultiIndex.from_frame(points[["opportunity_id", "as_of"]])
        return pd.DataFrame(columns=list(FEATURES), index=index)
    deals = history.deals.set_index("opportunity_id")
    open_stages = snap.open_stages
    rank = {st: i for i, st in enumerate(open_stages)}
    out = points.set_index(["opportunity_id", "as_of"])
    ids = points["opportunity_id"]
    at = points["as_of"]
    created = pd.to_datetime(deals["created_at"].reindex(ids).to_numpy(), utc=True)
    age = ((at - pd.Series(created, index=at.index)) / DAY).to_numpy(dtype=float)
    out["age_days"] = age
    out["segment"] = deals["segment"].reindex(ids).fillna("unknown").to_numpy()
    out["product"] = deals["product"].reindex(ids).fillna("unknown").to_numpy()

    _stage_features(out, points, history.stages, deals, rank, norms_at)
    _field_features(out, points, history.changes, deals, period)
    _activity_features(out, points, _activities(s, deals), age)
    _owner_features(out, points, deals)
    for column in CATEGORICAL:
        out[column] = out[column].astype(str)
    return out[list(FEATURES)]


def _stage_features(
    out: pd.DataFrame,
    points: pd.DataFrame,
    stages: pd.DataFrame,
    deals: pd.DataFrame,
    rank: dict[str, int],
    norms_at: pd.Timestamp,
) -> None:
    """Stage, time in it against its norm, moves back and skips, each as of the row's moment."""
    stages = stages[["opportunity_id", "stage", "entered_at"]].copy()
    stages["stage"] = stages["stage"].astype(str)
    stages["rank"] = stages["stage"].map(rank)
    nxt = stages.groupby("opportunity_id")["entered_at"].shift(-1)
    finished = stages.assign(days=(nxt - stages["entered_at"]) / DAY)[nxt <= norms_at]
    norms = finished.groupby("stage")["days"].median()
    overall = float(finished["days"].median()) if len(finished) else 14.0
    norm_of = {st: float(norms.get(st, overall)) for st in rank}

    moves = points.reset_index().merge(stages, on="opportunity_id", how="left")
    moves = moves[moves["entered_at"] <= moves["as_of"]]
    moves = moves.sort_values(["index", "entered_at"], kind="stable")
    prev = moves.groupby("index")["rank"].shift(1)
    moves["back"] = (moves["rank"] < prev).astype(int)
    moves["skip"] = (moves["rank"] - prev - 1).clip(lower=0).fillna(0)
    # A deal created past the first stage skipped those before it.
    first = moves.groupby("index").cumcount() == 0
    moves.loc[first, "skip"] = moves.loc[first, "rank"].fillna(0)
    by = moves.groupby("index")
    last = by.tail(1).set_index("index")
    idx = points.index
    stage = last["stage"].reindex(idx)
    # No stage entered by then: the first one it was recorded in; with no history at all, the
    # stored stage while the deal is still open (a closed deal's final stage would leak).
    first = stages.drop_duplicates("opportunity_id").set_index("opportunity_id")["stage"]
    live = deals["stage"].astype(str).where(deals["status"] == "open")
    fallback = first.reindex(deals.index).fillna(live).fillna(next(iter(rank), ""))
    stage = stage.fillna(
        pd.Series(fallback.reindex(points["opportunity_id"]).to_numpy(), index=idx)
    )
    created = deals["created_at"].reindex(points["opportunity_id"]).to_numpy()
    entered = last["entered_at"].reindex(idx).fillna(pd.Series(created, index=idx))
    out["stage"] = stage.to_numpy()
    stage_rank = stage.map(rank).fillna(0).astype(float)
    out["stage_rank"] = stage_rank.to_numpy()
    out["stages_left"] = (len(rank) - 1 - stage_rank).clip(lower=0).to_numpy()
    in_stage = ((points["as_of"] - pd.to_datetime(entered, utc=True)) / DAY).clip(lower=0)
    out["days_in_stage"] = in_stage.to_numpy()
    norm = stage.map(norm_of).fillna(overall).astype(float)
    out["stage_norm_days"] = norm.to_numpy()
    out["stage_time_ratio"] = (in_stage / norm.clip(lower=1)).to_numpy()
    ahead = np.array([sum(norm_of[s] for s in rank if rank[s] > r) for r in stage_rank])
    out["expected_days_left"] = ahead + (norm - in_stage).clip(lower=0).to_numpy()
    out["backward_moves"] = by["back"].sum().reindex(idx).fillna(0).to_numpy()
    out["stages_skipped"] = by["skip"].sum().reindex(idx).fillna(0).to_numpy()


def _field_features(
    out: pd.DataFrame,
    points: pd.DataFrame,
    changes: pd.DataFrame,
    deals: pd.DataFrame,
    period: str,
) -> None:
    """Amount and close date as they stood (the value before the first later change), their
    changes by then, and the days to the close date and to the end of its period."""
    idx = points.index
    ids = points["opportunity_id"]
    rows = points.reset_index().merge(changes, on="opportunity_id", how="inner")
    before = rows[rows["changed_at"] <= rows["as_of"]]
    after = rows[rows["changed_at"] > rows["as_of"]].sort_values(["changed_at", "id"])
    values: dict[str, pd.Series] = {}
    for fld in ("amount", "close_date"):
        now = pd.Series(deals[fld].reindex(ids).to_numpy(), index=idx)
        later = after[after["field"] == fld].drop_duplicates("index", keep="first")
        old = later.set_index("index")["old_value"]
        parsed = (
            pd.to_numeric(old, errors="coerce")
            if fld == "amount"
            else pd.to_datetime(old, errors="coerce")
        )
        now = now.astype(object)
        now.loc[parsed.index] = parsed.to_numpy()
        values[fld] = now
    amount = pd.to_numeric(values["amount"], errors="coerce").astype(float)
    mine = before[before["field"] == "amount"]
    first = rows[rows["field"] == "amount"].sort_values(["changed_at", "id"])
    first_amount = pd.to_numeric(
        first.drop_duplicates("index").set_index("index")["old_value"], errors="coerce"
    ).reindex(idx)
    first_amount = first_amount.fillna(amount)
    out["amount"] = amount.to_numpy()
    out["amount_change"] = (amount / first_amount.where(first_amount > 0) - 1).fillna(0).to_numpy()
    out["amount_changes"] = mine.groupby("index").size().reindex(idx).fillna(0).to_numpy()
    dates = before[before["field"] == "close_date"]
    pushed = pd.to_datetime(dates["new_value"], errors="coerce") > pd.to_datetime(
        dates["old_value"], errors="coerce"
    )
    out["close_pushes"] = dates[pushed].groupby("index").size().reindex(idx).fillna(0).to_numpy()
    close = pd.to_datetime(values["close_date"], errors="coerce")
    day = points["as_of"].dt.tz_convert(UTC).dt.tz_localize(None).dt.normalize()
    out["days_to_close"] = ((close - day) / DAY).fillna(0).to_numpy()
    held = close.where(close >= day, day).fillna(day)
    ends = [pd.Timestamp(period_bounds(d.date(), period)[1]) for d in held]
    end_of_day = pd.Series(ends, index=idx) + pd.Timedelta(hours=23, minutes=59)
    naive_at = points["as_of"].dt.tz_convert(UTC).dt.tz_localize(None)
    out["days_left_in_period"] = ((end_of_day - naive_at) / DAY).to_numpy()


def _activities(s: Session, deals: pd.DataFrame) -> pd.DataFrame:
    """Every email, call and meeting on the deals, or on their accounts and no deal, with the
    buyer contact it involves (a meeting: one row per buyer contact invited who did not
    decline); ``who`` is ``buyer`` (inbound), ``rep`` (outbound) or ``meeting``."""
    cols = ["activity_id", "opportunity_id", "account_id", "kind", "direction", "occurred_at"]
    base = select(
        Activity.activity_id,
        Activity.opportunity_id,
        Activity.account_id,
        Activity.kind,
        Activity.direction,
        as_driven(Activity.occurred_at),
        Activity.contact_id,
    ).where(Activity.kind.in_(("email", "call", "meeting")))
    rows = pd.DataFrame(driver_rows(s, base), columns=[*cols, "contact_id"])
    met = pd.DataFrame(
        driver_rows(
            s,
            select(ActivityParticipant.activity_id, ActivityParticipant.contact_id).where(
                ActivityParticipant.contact_id.is_not(None),
                ActivityParticipant.response.is_distinct_from("declined"),
            ),
        ),
        columns=["activity_id", "attendee"],
    )
    meetings = rows[rows["kind"] == "meeting"].merge(met, on="activity_id")
    meetings["contact_id"] = meetings["attendee"]
    meetings["who"] = "meeting"
    talk = rows[rows["kind"] != "meeting"].copy()
    talk["who"] = np.where(talk["direction"] == "inbound", "buyer", "rep")
    # A buyer's message counts only from a known contact (as read_evidence counts a reply).
    talk = talk[(talk["who"] == "rep") | talk["contact_id"].notna()]
    acts = pd.concat([talk, meetings[talk.columns]], ignore_index=True)
    acts["occurred_at"] = pd.to_datetime(acts["occurred_at"], utc=True)
    on_deal = acts[acts["opportunity_id"].isin(deals.index)]
    loose = acts[acts["opportunity_id"].isna() & acts["account_id"].notna()]
    owners = deals.reset_index()[["opportunity_id", "account_id", "created_at"]]
    loose = loose.drop(columns="opportunity_id").merge(owners, on="account_id")
    window = loose["created_at"] - pd.Timedelta(days=PRE_DEAL_DAYS)
    loose = loose[loose["occurred_at"] >= window]
    keep = ["opportunity_id", "kind", "who", "occurred_at", "contact_id"]
    return pd.concat([on_deal[keep], loose[keep]], ignore_index=True)


def _activity_features(
    out: pd.DataFrame, points: pd.DataFrame, acts: pd.DataFrame, age: np.ndarray
) -> None:
    """Buyer and rep activity up to each row's moment: counts, recency, responsiveness,
    contacts engaged, meetings held and the longest silence."""
    idx = points.index
    rows = points.reset_index().merge(acts, on="opportunity_id", how="inner")
    rows = rows[rows["occurred_at"] <= rows["as_of"]]
    rows["ago"] = (rows["as_of"] - rows["occurred_at"]) / DAY
    recent = rows["ago"] <= RECENT_DAYS
    buyer = rows["who"] == "buyer"
    rep = rows["who"] == "rep"
    meeting = rows["who"] == "meeting"

    def count(mask: pd.Series) -> np.ndarray:
        return rows[mask].groupby("index").size().reindex(idx).fillna(0).to_numpy()

    def since(mask: pd.Series) -> np.ndarray:
        days = rows[mask].groupby("index")["ago"].min().reindex(idx).to_numpy()
        return np.where(np.isnan(days), age + 1, days)

    out["buyer_messages"] = count(buyer)
    out["buyer_messages_30d"] = count(buyer & recent)
    out["days_since_buyer"] = since(buyer | meeting)
    out["rep_touches"] = count(rep)
    out["rep_touches_30d"] = count(rep & recent)
    out["days_since_touch"] = since(buyer | rep | meeting)
    out["reply_rate"] = out["buyer_messages"] / np.maximum(out["rep_touches"], 1)
    out["callbacks"] = count(buyer & (rows["kind"] == "call"))
    engaged = rows[buyer | meeting].groupby("index")["contact_id"].nunique()
    out["contacts_engaged"] = engaged.reindex(idx).fillna(0).to_numpy()
    out["meetings_held"] = (
        rows[meeting].groupby("index")["occurred_at"].nunique().reindex(idx).fillna(0).to_numpy()
    )
    # The longest silence: between activities, and from the last one to the moment.
    times = rows[["index", "occurred_at", "as_of"]].sort_values(["index", "occurred_at"])
    gaps = times.groupby("index")["occurred_at"].diff() / DAY
    longest = gaps.groupby(times["index"]).max().reindex(idx).fillna(0).to_numpy()
    out["longest_gap_days"] = np.maximum(longest, out["days_since_touch"].to_numpy())


def _owner_features(out: pd.DataFrame, points: pd.DataFrame, deals: pd.DataFrame) -> None:
    """The owner's win rate over their deals closed before each row's moment, shrunk by
    ``SHRINK`` pseudo-deals toward the org's rate then (:func:`shrunk_win_rate`'s rule)."""
    closed = deals[deals["status"].isin(("won", "lost"))].dropna(subset=["closed_at"])
    closed = closed.sort_values("closed_at")
    times = closed["closed_at"].to_numpy()
    wins = (closed["status"] == "won").to_numpy().astype(float)
    at = points["as_of"].to_numpy()
    n_all = np.searchsorted(times, at, side="left")
    won_all = np.concatenate([[0.0], np.cumsum(wins)])[n_all]
    org = np.where(n_all > 0, won_all / np.maximum(n_all, 1), 0.5)
    owners = deals["owner_rep_id"].reindex(points["opportunity_id"]).to_numpy()
    own_n = np.zeros(len(points))
    own_w = np.zeros(len(points))
    for rep, mine in closed.groupby("owner_rep_id"):
        hit = owners == rep
        t = mine["closed_at"].to_numpy()
        k = np.searchsorted(t, at[hit], side="left")
        w = np.concatenate([[0.0], np.cumsum((mine["status"] == "won").to_numpy())])
        own_n[hit] = k
        own_w[hit] = w[k]
    out["owner_win_rate"] = (own_w + SHRINK * org) / (own_n + SHRINK)
    out["owner_closed"] = own_n
