"""The telephony log and calendars look like what a phone system and calendar server export."""

from __future__ import annotations

import re
from collections import Counter

import icalendar

HEADER = "call_id,started_at,from_number,to_number,direction,duration_s,outcome"


def test_calls_csv_header_and_values(org):
    lines = (org.root / "calls" / "calls.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER
    rows = org.csv("calls/calls.csv")
    assert len(rows) == org.summary.calls
    assert {r["direction"] for r in rows} == {"inbound", "outbound"}
    assert {r["outcome"] for r in rows} == {"connected", "voicemail", "no_answer"}
    assert all(re.fullmatch(r"CL\d{7}", r["call_id"]) for r in rows)
    assert len({r["call_id"] for r in rows}) == len(rows)
    for r in rows:
        assert int(r["duration_s"]) >= 0
        assert (int(r["duration_s"]) == 0) == (r["outcome"] == "no_answer")


def test_numbers_come_in_mixed_national_and_international_formats(org):
    numbers = [n for r in org.csv("calls/calls.csv") for n in (r["from_number"], r["to_number"])]
    patterns = {
        "us_intl": r"\+1 \d{3}-\d{3}-\d{4}",
        "us_paren": r"\(\d{3}\) \d{3}-\d{4}",
        "us_bare": r"\d{10}",
        "uk_intl": r"\+44 \d{2,3} \d{3,4} \d{4}",
        "uk_national": r"0\d{2,3} \d{3,4} \d{4}",
        "de_intl": r"\+49 \d{2,3} \d{7,8}",
    }
    for name, pat in patterns.items():
        assert any(re.fullmatch(pat, n) for n in numbers), name


def test_rep_numbers_appear_with_and_without_country_code(org):
    rep_phone = next(r["phones"] for r in org.csv("crm/reps.csv") if r["rep_id"] == "R0001")
    digits = re.sub(r"\D", "", rep_phone)[1:]  # drop the country code
    forms = Counter()
    for r in org.csv("calls/calls.csv"):
        for n in (r["from_number"], r["to_number"]):
            if re.sub(r"\D", "", n).endswith(digits):
                forms["intl" if n.startswith(("+", "1-", "00")) else "national"] += 1
    assert forms["intl"] and forms["national"]


def test_truth_calls_match_the_log_and_some_numbers_are_strangers(org, activities):
    log = {r["call_id"]: r for r in org.csv("calls/calls.csv")}
    truth = [a for a in activities if a["kind"] == "call"]
    assert {a["source_id"] for a in truth} == set(log)
    for a in truth:
        assert log[a["source_id"]]["started_at"] == a["occurred_at"]
        assert log[a["source_id"]]["direction"] == a["direction"]
    strangers = [a for a in truth if a["category"] == "unknown_call"]
    assert strangers and all(a["contact_id"] == "" for a in strangers)
    known = {re.sub(r"\D", "", p)[-7:] for c in org.csv("crm/contacts.csv")
             for p in c["phones"].split(";")}  # fmt: skip
    for a in strangers:
        r = log[a["source_id"]]
        other = r["to_number"] if r["direction"] == "outbound" else r["from_number"]
        assert re.sub(r"\D", "", other)[-7:] not in known


def _calendars(org):
    out = {}
    for path in sorted((org.root / "calendar").glob("*.ics")):
        out[path.stem] = icalendar.Calendar.from_ical(path.read_bytes())
    return out


def test_calendars_parse_with_attendees_cancellations_and_recurrence(org, activities):
    cals = _calendars(org)
    assert set(cals) == {r["rep_id"] for r in org.csv("crm/reps.csv")}
    uids_by_cal = Counter()
    statuses, partstats = Counter(), Counter()
    recurring = tzid = utc = 0
    for cal in cals.values():
        for ev in cal.walk("VEVENT"):
            uids_by_cal[str(ev["UID"])] += 1
            assert str(ev["ORGANIZER"]).startswith("mailto:")
            attendees = ev.get("ATTENDEE")
            attendees = attendees if isinstance(attendees, list) else [attendees]
            assert attendees and all(str(a).startswith("mailto:") for a in attendees)
            partstats.update(a.params["PARTSTAT"] for a in attendees)
            statuses[str(ev["STATUS"])] += 1
            recurring += "RRULE" in ev
            start = ev["DTSTART"]
            if "TZID" in start.params:
                tzid += 1
            elif start.dt.utcoffset().total_seconds() == 0:
                utc += 1
            assert ev["DTEND"].dt > start.dt
    assert statuses["CANCELLED"] and statuses["CONFIRMED"]
    assert recurring and tzid and utc
    assert {"ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION"} <= set(partstats)
    shared = [u for u, n in uids_by_cal.items() if n >= 2]
    assert shared
    truth = {a["source_id"] for a in activities if a["kind"] == "meeting"}
    assert truth == set(uids_by_cal)
    assert len(truth) == org.summary.meetings
    buyer_shared = (
        truth
        & set(shared)
        & {a["source_id"] for a in activities if a["kind"] == "meeting" and a["category"] == "deal"}
    )
    assert buyer_shared, "a buyer meeting a colleague also attends"
