"""The effects the product exists to find are planted in the simulated behaviour."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict


def _win_rate(rows: list[dict[str, str]]) -> float:
    closed = [o for o in rows if o["outcome"] != "open"]
    return sum(o["outcome"] == "won" for o in closed) / len(closed)


def test_brief_issue_focused_mail_gets_far_more_replies_than_verbose(activities):
    answered = Counter(a["responds_to"] for a in activities if a["buyer_action"] == "reply")
    rates = {}
    for style in ("brief", "verbose"):
        sent = [a for a in activities if a["style"] == style]
        assert len(sent) > 1000, style
        assert all(a["kind"] == "email" and a["direction"] == "outbound" for a in sent)
        assert all(a["template"].startswith(style) for a in sent)
        rates[style] = sum(answered[a["source_id"]] > 0 for a in sent) / len(sent)
    assert 0.15 <= rates["brief"] <= 0.26
    assert 0.05 <= rates["verbose"] <= 0.11
    assert rates["brief"] >= 1.8 * rates["verbose"]


def test_every_buyer_action_answers_an_earlier_rep_activity(activities):
    by_id = {a["source_id"]: a for a in activities}
    actions = Counter()
    for a in activities:
        if a["buyer_action"]:
            actions[a["buyer_action"]] += 1
            src = by_id[a["responds_to"]]
            assert src["rep_id"] == a["rep_id"]
            assert src["direction"] == "outbound"
            assert src["occurred_at"] < a["occurred_at"]
            assert src["contact_id"] == a["contact_id"]
    assert set(actions) == {"reply", "call_back", "meeting_accepted"}


def test_a_minority_of_reps_brings_most_of_the_revenue(org):
    reps = org.csv("truth/reps.csv")
    revenue = sorted((int(r["won_revenue"]) for r in reps), reverse=True)
    top = revenue[: round(len(revenue) * 0.2)]
    assert sum(top) / sum(revenue) > 0.5
    flagged = sorted(int(r["won_revenue"]) for r in reps if r["is_top20"] == "1")
    assert sorted(top) == flagged


def test_most_reps_follow_up_twice_or_less_and_sequences_stop_at_a_reply(org):
    seqs = org.csv("truth/sequences.csv")
    touches: dict[str, list[int]] = defaultdict(list)
    for s in seqs:
        touches[s["rep_id"]].append(int(s["touches"]))
    means = [statistics.mean(v) for v in touches.values()]
    assert sum(0 <= m <= 2 for m in means) / len(means) >= 0.7
    assert statistics.median(means) < 2
    traits = {r["rep_id"]: float(r["effort"]) for r in org.csv("truth/reps.csv")}
    # realised touches follow the latent effort (replies and the end date only cut them short)
    hi = [statistics.mean(touches[r]) for r, e in traits.items() if e >= 1.5]
    lo = [statistics.mean(touches[r]) for r, e in traits.items() if e < 0.8]
    assert hi and lo and min(hi) > max(lo)
    replied = sum(s["replied"] == "1" for s in seqs) / len(seqs)
    assert 0.1 < replied < 0.4


def test_qualified_and_multithreaded_deals_win_more(org):
    truth = org.csv("truth/opportunities.csv")
    for flag in ("qualified", "multithreaded"):
        yes = _win_rate([o for o in truth if o[flag] == "1"])
        no = _win_rate([o for o in truth if o[flag] == "0"])
        assert yes > no + 0.1, flag
    stalled = _win_rate([o for o in truth if o["stalled"] == "1"])
    assert stalled < _win_rate([o for o in truth if o["stalled"] == "0"])
    assert 0.2 <= _win_rate(truth) <= 0.45


def test_multithreaded_deals_list_several_engaged_contacts(org, activities):
    truth = {o["opportunity_id"]: o for o in org.csv("truth/opportunities.csv")}
    crm = org.csv("crm/opportunities.csv")
    engaged: dict[str, set[str]] = defaultdict(set)
    for a in activities:
        if a["opportunity_id"] != "none" and a["contact_id"] and a["direction"] == "inbound":
            engaged[a["opportunity_id"]].add(a["contact_id"])
    for o in crm:
        listed = o["contact_ids"].split(";")
        assert (len(listed) >= 2) == (truth[o["opportunity_id"]]["multithreaded"] == "1")
        assert engaged[o["opportunity_id"]] <= set(listed)


def test_deals_stall_and_slip_and_slips_are_in_the_history(org):
    truth = org.csv("truth/opportunities.csv")
    history = Counter(
        h["opportunity_id"] for h in org.csv("crm/opportunity_history.csv")
        if h["field"] == "close_date"
    )  # fmt: skip
    assert sum(o["stalled"] == "1" for o in truth) > 50
    slipped = [o for o in truth if int(o["slips"]) > 0]
    assert len(slipped) > 100
    for o in truth:
        assert history[o["opportunity_id"]] == int(o["slips"])
    fields = Counter(h["field"] for h in org.csv("crm/opportunity_history.csv"))
    assert fields["amount"] > 10


def test_accounts_hold_concurrent_open_opportunities_on_different_products(org):
    opps = org.csv("crm/opportunities.csv")
    found = 0
    by_account = defaultdict(list)
    for o in opps:
        by_account[o["account_id"]].append(o)
    for deals in by_account.values():
        for i, a in enumerate(deals):
            for b in deals[i + 1 :]:
                a_end = a["closed_at"] or "9999"
                b_end = b["closed_at"] or "9999"
                if a["created_at"] < b_end and b["created_at"] < a_end:
                    found += 1
                    assert a["product"] != b["product"]
    assert found > 20


def test_deal_activity_is_spread_over_open_deals_and_mix_matches_the_brief(activities):
    emails = Counter(a["category"] for a in activities if a["kind"] == "email")
    total = sum(emails.values())
    assert 0.35 <= emails["prospecting"] / total <= 0.55
    assert 0.25 <= emails["deal"] / total <= 0.45
    noise = sum(emails[c] for c in ("internal", "newsletter", "auto_reply", "personal"))
    assert 0.12 <= noise / total <= 0.3
