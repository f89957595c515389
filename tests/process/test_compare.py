"""A process change as an experiment, on a hand-made store: version 1 (light touch) in force
until T0, version 2 (call first) from T0, and prospecting planted on each side of T0."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from rightturn.crm.model import Account, Contact, Opportunity, ProcessVersion, Rep, Team
from rightturn.crm.scope import Scope
from rightturn.crm.store import Store
from rightturn.errors import NotFound, ParseError
from rightturn.process.compare import (
    CONTRACT_KEYS,
    HORIZON_DAYS,
    METRIC_KEYS,
    Comparison,
    MetricChange,
    compare_versions,
)
from rightturn.process.definition import FILES
from rightturn.process.versions import apply_process
from tests.process.test_today import activity

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # version 2 applied
WINDOW = timedelta(weeks=8)
# Late enough for every sequence of an 8-week after window to be followed for its 30 days.
AS_OF = T0 + WINDOW + timedelta(days=HORIZON_DAYS + 3)
_ids = count(1)


@dataclass(frozen=True)
class Plan:
    """One planted prospecting sequence: touches two days apart, then what the buyer did
    (days after the first touch; None: nothing)."""

    touches: int
    reply: float | None = None
    meeting: float | None = None
    opportunity: float | None = None


def plant(store: Store, start: datetime, plan: Plan, rep: str = "R1") -> None:
    """A new prospect (contact and account) and the sequence ``plan`` to them from ``start``."""
    n = next(_ids)
    account, contact = f"A{n}", f"C{n}"
    with store.session() as s:
        s.add(Account(account_id=account, name=f"Account {n}", segment="SMB"))
        s.flush()
        s.add(Contact(contact_id=contact, account_id=account, name=f"Buyer {n}"))
        s.flush()
        for k in range(plan.touches):
            touch_at = start + timedelta(days=2 * k)
            s.add(activity(rep, contact, touch_at, "outbound", account_id=account))
        if plan.reply is not None:
            reply_at = start + timedelta(days=plan.reply)
            s.add(activity(rep, contact, reply_at, "inbound", account_id=account))
        if plan.meeting is not None:
            met_at = start + timedelta(days=plan.meeting)
            s.add(activity(rep, contact, met_at, "outbound", kind="meeting", account_id=account))
        if plan.opportunity is not None:
            s.add(
                Opportunity(
                    opportunity_id=f"O{n}",
                    account_id=account,
                    owner_rep_id=rep,
                    name=f"Account {n} deal",
                    stage="Qualification",
                    status="open",
                    created_at=start + timedelta(days=plan.opportunity),
                )
            )


def plant_won(store: Store, closed: datetime, cycle_days: float, rep: str = "R1") -> None:
    """A deal won at ``closed`` after ``cycle_days`` from its creation, at an account of its
    own (no prospecting)."""
    n = next(_ids)
    with store.session() as s:
        s.add(Account(account_id=f"W{n}", name=f"Won {n}"))
        s.flush()
        s.add(
            Opportunity(
                opportunity_id=f"W{n}",
                account_id=f"W{n}",
                owner_rep_id=rep,
                name=f"Won {n} deal",
                stage="Closed Won",
                status="won",
                amount=10_000,
                created_at=closed - timedelta(days=cycle_days),
                closed_at=closed,
            )
        )


def spread(store: Store, start: datetime, plans: list[Plan], rep: str = "R1") -> None:
    """``plans`` started evenly over the 8 weeks from ``start``."""
    step = WINDOW / len(plans)
    for i, plan in enumerate(plans):
        plant(store, start + i * step + timedelta(hours=1), plan, rep)


def two_versions(store: Store) -> Store:
    """Reps R1 and R2 of team T; version 1 applied long before T0, version 2 at T0; one
    prospect of R1's from long before, and a deal of R2's won long before."""
    with store.session() as s:
        s.add(Team(team_id="T", name="Team"))
        s.flush()
        s.add_all([Rep(rep_id="R1", name="Ann Lee", team_id="T"), Rep(rep_id="R2", name="Bo Chen")])
    for path, at in (("light-touch.yaml", T0 - timedelta(days=200)), ("call-first.yaml", T0)):
        done = apply_process(store, FILES / path, who="ops@example.com")
        with store.session() as s:  # time passes in a test: the version was applied then
            row = s.get(ProcessVersion, done.version)
            assert row is not None
            row.applied_at = at
    # Prospecting captured since long before the windows (the before window starts no earlier),
    # and a deal since longer still (a cycle counted is no longer than the data allows).
    plant(store, T0 - timedelta(days=150), Plan(1))
    plant_won(store, T0 - timedelta(days=300), 100, rep="R2")
    return store


@pytest.fixture
def org(store: Store) -> Store:
    return two_versions(store)


def metric(found: Comparison, key: str) -> MetricChange:
    return next(m for m in found.metrics if m.key == key)


def test_more_touches_and_responses_after_the_change_read_better(org: Store) -> None:
    before = [Plan(1, reply=3 if i < 4 else None) for i in range(40)]
    after = [
        Plan(
            3,
            reply=6 if i < 24 else 35 if i < 28 else None,  # 35: past the 30 days, not counted
            meeting=9 if i < 12 else None,
            opportunity=12 if i < 8 else None,
        )
        for i in range(40)
    ]
    spread(org, T0 - WINDOW, before)
    spread(org, T0, after)
    # Started before the before window: counts on neither side.
    plant(org, T0 - WINDOW - timedelta(days=10), Plan(3, reply=5))
    # Started two days before the change, answered after it: the before side's, not the after's.
    plant(org, T0 - timedelta(days=2), Plan(3, reply=5))
    for i in range(12):
        plant_won(org, T0 - WINDOW + timedelta(days=3 + 4 * i), 60 + i)
        plant_won(org, T0 + timedelta(days=3 + 4 * i), 20 + i)
    # Older than any deal won in the before window could be (the first deal is 400 days before
    # T0, the window opens 56 days before it): not counted on either side.
    plant_won(org, T0 + timedelta(days=10), 345)

    found = compare_versions(org, Scope.everything(), 1, 2, as_of=AS_OF)

    assert (found.before.version, found.after.version, found.swapped) == (1, 2, False)
    assert found.before.name == "Light-touch prospecting"
    assert found.after.name == "Call-first process"
    assert (found.before.end, found.after.start) == (T0, T0)
    assert found.before.sequences == 41 and found.after.sequences == 40
    touches = metric(found, "touches_per_prospect")
    assert (touches.before_n, touches.after_n) == (41, 40)
    assert touches.before == pytest.approx(43 / 41) and touches.after == 3
    assert touches.verdict == "more"
    replied = metric(found, "prospect_response_rate")
    assert (replied.before, replied.after) == (pytest.approx(5 / 41), 0.6)
    assert (replied.before_n, replied.after_n) == (41, 40)
    assert replied.change_ci is not None and replied.change_ci[0] > 0
    assert replied.verdict == "better" and replied.enough_data
    assert replied.before_ci is not None and replied.before_ci[0] < 5 / 41 < replied.before_ci[1]
    met = metric(found, "prospect_meeting_rate")
    assert (met.before, met.after, met.verdict) == (0, 0.3, "better")
    opened = metric(found, "prospect_opportunity_rate")
    assert (opened.before, opened.after, opened.verdict) == (0, 0.2, "better")
    cycle = metric(found, "cycle_days_won")
    assert found.cycle_days_at_most == 400 - 56
    assert (cycle.before_n, cycle.after_n) == (12, 12)
    assert cycle.before == pytest.approx(65.5) and cycle.after == pytest.approx(25.5)
    assert cycle.verdict == "better" and cycle.change is not None and cycle.change < 0


def test_the_same_behaviour_on_both_sides_is_no_clear_change(org: Store) -> None:
    plans = [Plan(1 + i % 3, reply=7 if i % 5 == 0 else None) for i in range(40)]
    spread(org, T0 - WINDOW, plans)
    spread(org, T0, plans)
    # Given the later version first: the earlier is still the before side.
    found = compare_versions(org, Scope.everything(), 2, 1, as_of=AS_OF)
    assert found.swapped and (found.before.version, found.after.version) == (1, 2)
    for key in METRIC_KEYS[:4]:
        m = metric(found, key)
        assert m.verdict == "no clear change", key
        assert m.change == 0 and (m.before_n, m.after_n) == (40, 40)
        assert m.change_ci is not None and m.change_ci[0] <= 0 <= m.change_ci[1]
    # No deal was won: the cycle has no value, no interval, and says there are too few.
    cycle = metric(found, "cycle_days_won")
    assert (cycle.before, cycle.before_n, cycle.change_ci) == (None, 0, None)
    assert cycle.verdict == "no clear change" and not cycle.enough_data


def test_the_windows_have_one_length_the_shorter_one(org: Store) -> None:
    plans = [Plan(2) for _ in range(20)]
    spread(org, T0 - WINDOW, plans)
    spread(org, T0, plans)
    # 20 days of the after version whose sequences have had their 30 days.
    as_of = T0 + timedelta(days=20 + HORIZON_DAYS, hours=5)
    found = compare_versions(org, Scope.everything(), 1, 2, as_of=as_of)
    assert found.before.end - found.before.start == timedelta(days=20)
    assert found.after.end - found.after.start == timedelta(days=20)
    assert (found.before.end, found.after.start, found.after.days) == (T0, T0, 20)
    # Sequences started later than 20 days after the change are not followed long enough yet.
    step = WINDOW / 20
    started = [T0 + i * step + timedelta(hours=1) for i in range(20)]
    assert found.after.sequences == sum(1 for t in started if t < T0 + timedelta(days=20))
    # --weeks caps both.
    capped = compare_versions(org, Scope.everything(), 1, 2, as_of=AS_OF, weeks=2)
    assert capped.before.days == capped.after.days == 14
    assert capped.before.start == T0 - timedelta(days=14)


def test_the_json_keys_are_the_contract(org: Store) -> None:
    spread(org, T0 - WINDOW, [Plan(2)] * 5)
    spread(org, T0, [Plan(2)] * 5)
    body = compare_versions(org, Scope.everything(), 1, 2, as_of=AS_OF).as_json()
    assert tuple(body) == CONTRACT_KEYS["top"]
    assert tuple(body["before"]) == tuple(body["after"]) == CONTRACT_KEYS["window"]
    assert [m["key"] for m in body["metrics"]] == list(METRIC_KEYS)
    for m in body["metrics"]:
        assert tuple(m) == CONTRACT_KEYS["metric"]
        assert m["enough_data"] is False  # 5 sequences a side
    assert body["before"]["from"] == (T0 - WINDOW).isoformat()


def test_a_scope_counts_only_its_reps(org: Store) -> None:
    spread(org, T0 - WINDOW, [Plan(1)] * 10)
    spread(org, T0, [Plan(1)] * 10)
    spread(org, T0 - WINDOW, [Plan(2)] * 6, rep="R2")
    spread(org, T0, [Plan(4)] * 3, rep="R2")
    mine = compare_versions(org, Scope(frozenset({"R2"})), 1, 2, as_of=AS_OF)
    touches = metric(mine, "touches_per_prospect")
    assert (touches.before, touches.before_n, touches.after, touches.after_n) == (2, 6, 4, 3)
    assert compare_versions(org, Scope.everything(), 1, 2, as_of=AS_OF).before.sequences == 16


def test_errors_name_the_input_and_what_to_do(org: Store) -> None:
    spread(org, T0 - WINDOW, [Plan(1)] * 5)
    everyone = Scope.everything()
    with pytest.raises(ParseError, match="version 2 twice: compare two different versions"):
        compare_versions(org, everyone, 2, 2, as_of=AS_OF)
    with pytest.raises(NotFound, match="no process version 7: versions 1 to 2 were applied"):
        compare_versions(org, everyone, 1, 7, as_of=AS_OF)
    with pytest.raises(NotFound, match="no prospecting sequence started in the after window"):
        compare_versions(org, everyone, 1, 2, as_of=AS_OF)
    # Ten days after the change no sequence under it has been followed for its 30 days.
    with pytest.raises(NotFound, match=r"no after window yet: .* measured from 2026-04-02"):
        compare_versions(org, everyone, 1, 2, as_of=T0 + timedelta(days=10))
    # Version 0 gave way to version 1 before any prospecting was captured.
    with pytest.raises(NotFound, match=r"version 0 .* less than a day of captured prospecting"):
        compare_versions(org, everyone, 0, 1, as_of=AS_OF)


def test_versions_apart_compare_the_end_of_one_with_the_start_of_the_other(org: Store) -> None:
    done = apply_process(org, FILES / "default.yaml", who="ops@example.com")
    with org.session() as s:
        row = s.get(ProcessVersion, done.version)
        assert row is not None
        row.applied_at = T0 + timedelta(days=14)
    spread(org, T0 - WINDOW, [Plan(1)] * 20)
    spread(org, T0, [Plan(2)] * 40)
    apart = compare_versions(org, Scope.everything(), 3, 1, as_of=AS_OF)
    assert apart.between == (2,) and apart.swapped
    assert (apart.before.version, apart.before.end) == (1, T0)
    assert (apart.after.version, apart.after.start) == (3, T0 + timedelta(days=14))
    # Version 3's sequences have had their 30 days up to 3 days past the 8 weeks from T0.
    assert apart.after.days == apart.before.days == 56 + 3 - 14
    # Version 2 was in force for two weeks only: so are both windows against it.
    next_to = compare_versions(org, Scope.everything(), 1, 2, as_of=AS_OF)
    assert next_to.between == () and next_to.after.days == next_to.before.days == 14
    assert next_to.after.end == T0 + timedelta(days=14)
