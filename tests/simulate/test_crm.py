"""The CRM export is self-consistent and carries the traps association must handle."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import pytest

from rightturn.crm.imports.canonical import LAYOUT as CANONICAL
from rightturn.simulate.writer import HEADERS

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow

STAGES = [
    "Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation", "Closed Won",
    "Closed Lost",
]  # fmt: skip


def test_headers_are_the_contract(org):
    for rel, header in HEADERS.items():
        assert org.header(rel) == header, rel
    # ...and the contract is the importer's, not the simulator's own constant: every CRM file
    # the simulator writes has exactly the columns `rightturn import crm` reads.
    for name, columns in CANONICAL.items():
        if (org.root / "crm" / name).is_file():
            assert org.header(f"crm/{name}") == list(columns), name
    assert org.header("crm/reps.csv") == [
        "rep_id",
        "name",
        "emails",
        "phones",
        "team",
        "manager_id",
        "quota",
    ]


def test_foreign_keys_resolve(org):
    reps = {r["rep_id"]: r for r in org.csv("crm/reps.csv")}
    accounts = {a["account_id"]: a for a in org.csv("crm/accounts.csv")}
    contacts = {c["contact_id"]: c for c in org.csv("crm/contacts.csv")}
    products = {p["product"] for p in org.csv("crm/products.csv")}
    for r in reps.values():
        if r["rep_id"].startswith("R"):
            assert reps[r["manager_id"]]["quota"] == "" and r["quota"].isdigit()
            assert reps[r["manager_id"]]["team"] == r["team"]
        else:
            assert r["manager_id"] == "" and r["quota"] == ""
    for a in accounts.values():
        assert a["segment"] in {"SMB", "Mid-Market", "Enterprise"}
        assert not a["parent_account_id"] or a["parent_account_id"] in accounts
    for c in contacts.values():
        assert c["account_id"] in accounts
    for o in org.csv("crm/opportunities.csv"):
        assert o["account_id"] in accounts and o["owner_rep_id"] in reps
        assert o["product"] in products and o["product"] in o["name"]
        for cid in o["contact_ids"].split(";"):
            assert contacts[cid]["account_id"] == o["account_id"]
    assert len(reps) == org.summary.reps + org.summary.managers
    assert len(accounts) == org.summary.accounts
    assert len(contacts) == org.summary.contacts


def test_truth_activity_keys_resolve(org, activities):
    reps = {r["rep_id"] for r in org.csv("crm/reps.csv")}
    contacts = {c["contact_id"]: c["account_id"] for c in org.csv("crm/contacts.csv")}
    opps = {o["opportunity_id"]: o for o in org.csv("crm/opportunities.csv")}
    for a in activities:
        assert a["rep_id"] in reps
        if a["contact_id"]:
            assert contacts[a["contact_id"]] == a["account_id"]
        if a["opportunity_id"] != "none":
            o = opps[a["opportunity_id"]]
            assert o["account_id"] == a["account_id"]
            assert o["created_at"] <= a["occurred_at"]
            assert not o["closed_at"] or a["occurred_at"] <= o["closed_at"]


def test_stage_history_is_in_order_but_for_planted_deviations_and_ends_at_the_stage(org):
    history = defaultdict(list)
    for h in org.csv("crm/stage_history.csv"):
        history[h["opportunity_id"]].append(h)
    opps = org.csv("crm/opportunities.csv")
    truth = {t["opportunity_id"]: t for t in org.csv("truth/opportunities.csv")}
    assert len(history) == len(opps)
    forecast = {"Closed Won": "Closed", "Closed Lost": "Omitted", "Negotiation": "Commit"}
    statuses = Counter()
    for o in opps:
        rows = history[o["opportunity_id"]]
        times = [r["entered_at"] for r in rows]
        assert times == sorted(times)
        assert rows[0]["entered_at"] == o["created_at"]
        assert rows[-1]["stage"] == o["stage"]
        ranks = [STAGES.index(r["stage"]) for r in rows]
        # In stage order, but for the deviations planted in truth/opportunities.csv.
        planted = truth[o["opportunity_id"]]
        drops = sum(b < a for a, b in itertools.pairwise(ranks))
        assert drops == int(planted["moved_back"])
        opened = [x for x in ranks if not STAGES[x].startswith("Closed")]
        jumps = sum(b > a + 1 for a, b in itertools.pairwise(opened))
        assert jumps == (1 if planted["skipped_stage"] else 0)
        if planted["skipped_stage"]:
            assert planted["skipped_stage"] not in {r["stage"] for r in rows}
        statuses[o["status"]] += 1
        if o["status"] == "open":
            assert o["closed_at"] == "" and not o["stage"].startswith("Closed")
        else:
            assert o["stage"] == ("Closed Won" if o["status"] == "won" else "Closed Lost")
            assert o["close_date"] == o["closed_at"][:10] == rows[-1]["entered_at"][:10]
        if o["stage"] in forecast:
            assert o["forecast_category"] == forecast[o["stage"]]
        assert o["forecast_category"] in {"Pipeline", "Best Case", "Commit", "Closed", "Omitted"}
    assert statuses["open"] and statuses["won"] and statuses["lost"]
    assert any(t["skipped_stage"] for t in truth.values())
    assert any(t["moved_back"] == "1" for t in truth.values())


def test_timestamps_and_amounts_look_like_an_export(org):
    for o in org.csv("crm/opportunities.csv"):
        assert o["created_at"].endswith("+00:00") and len(o["created_at"]) == 25
        assert len(o["close_date"]) == 10
        assert 1000 <= int(o["amount"]) <= 2_000_000
    amounts = sorted(int(o["amount"]) for o in org.csv("crm/opportunities.csv"))
    assert 5_000 <= amounts[len(amounts) // 2] <= 100_000


def test_domain_traps_exist(org):
    accounts = org.csv("crm/accounts.csv")
    domains = [d for a in accounts for d in a["domains"].split(";")]
    assert len(domains) == len(set(domains)), "a domain belongs to one account"
    assert any(len(a["domains"].split(";")) == 2 for a in accounts)
    assert any(a["parent_account_id"] for a in accounts)
    as_set = set(domains)
    lookalikes = [d for d in domains if any(d != o and d.endswith(o) for o in
                                            (d[3:], d[2:]) if o in as_set)]  # fmt: skip
    assert lookalikes, "e.g. notvantage.com next to vantage.com"
    contacts = org.csv("crm/contacts.csv")
    sub = [c for c in contacts if c["emails"].split("@")[1].split(".")[0] in {"mail", "eu", "corp"}]
    assert sub, "a contact writing from a subdomain of the account's domain"


def test_a_few_contacts_share_a_switchboard_number(org):
    phones = Counter(c["phones"] for c in org.csv("crm/contacts.csv"))
    shared = [p for p, n in phones.items() if n > 1]
    assert shared
    assert len(shared) < 0.05 * len(phones)


def test_products_have_distinctive_names_used_in_mail(org, messages):
    products = org.csv("crm/products.csv")
    assert 4 <= len(products) <= 6
    assert all(len(p["product"].split()) >= 2 and int(p["list_price"]) > 0 for p in products)
    sample = [m for m in messages["R0001"] if m["Subject"] and "for " in m["Subject"]]
    assert any(p["product"] in m["Subject"] for m in sample for p in products)
