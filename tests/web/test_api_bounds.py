"""The API's bounds on SQLite and PostgreSQL (issue 10, findings 5 and 6): no input is a server
error; every refusal is a 4xx naming the input; a call or meeting pushed again under another id is
a duplicate; bodies, lists and strings have sizes; the OpenAPI document lists every status a
route answers, in the shape it answers it. Property-based tests push generated calls and meetings.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from rightturn.crm.bounds import INT32_MAX, LONGEST_CALL_S
from rightturn.crm.model import Activity, ContactEmail, RepEmail
from rightturn.crm.queries import encode_cursor
from rightturn.web.app import API_BODY_LIMIT
from tests.web.conftest import Web
from tests.web.test_api import _phones

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow

PUSH = "/api/v1/activities"


def _call(web: Web, external_id: str, **fields: Any) -> dict[str, Any]:
    rep_phone, contact_phone = _phones(web, web.rep_a)
    call = {
        "kind": "call",
        "external_id": external_id,
        "started_at": "2026-06-20T10:00:00Z",
        "from_number": rep_phone,
        "to_number": contact_phone,
        "direction": "outbound",
        "duration_s": 300,
    }
    return {**call, **fields}


def _emails(web: Web) -> tuple[str, list[str]]:
    """A rep of team B's email and three contacts' emails."""
    with web.store.session() as s:
        rep = s.scalar(select(RepEmail.email).where(RepEmail.rep_id == web.rep_b))
        contacts = list(s.scalars(select(ContactEmail.email).order_by(ContactEmail.email).limit(3)))
    assert rep and len(contacts) == 3
    return rep, contacts


def _meeting(web: Web, external_id: str, **fields: Any) -> dict[str, Any]:
    rep, contacts = _emails(web)
    meeting = {
        "kind": "meeting",
        "external_id": external_id,
        "started_at": "2026-06-21T14:00:00Z",
        "duration_s": 1800,
        "subject": "Pricing review",
        "organizer": rep,
        "attendees": [{"email": c, "response": "accepted"} for c in contacts[:2]],
    }
    return {**meeting, **fields}


def _refused(answer: Any, status: int, *words: str) -> None:
    """``answer`` is ``status`` with a JSON ``detail`` that says each of ``words``."""
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert detail, answer.text
    for word in words:
        assert word in json.dumps(detail), (word, answer.text)


def _stored(web: Web, *where: Any) -> int:
    with web.store.session() as s:
        return s.scalar(select(func.count()).select_from(Activity).where(*where)) or 0


# --- finding 5: no input is a server error -------------------------------------------------


def test_activity_ids_beyond_an_integer_are_refused_not_a_server_error(web: Web) -> None:
    client = web.client("admin")
    for ident in (2**31, 2**31 + 1, 2**63, 2**64, 10**30, 0, -1):
        for method, path in (
            ("GET", f"/api/v1/activities/{ident}"),
            ("GET", f"/api/v1/review/{ident}/thread"),
            ("POST", f"/api/v1/review/{ident}"),
        ):
            body = {"action": "unlink"} if method == "POST" else None
            _refused(client.request(method, path, json=body), 422, "activity_id")
    _refused(client.get(f"/api/v1/activities/{INT32_MAX}"), 404, str(INT32_MAX))


def test_times_outside_1970_to_2100_or_not_iso_text_are_422_naming_the_field(web: Web) -> None:
    client = web.client("admin")
    for when in (
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:01Z",
        "2026-06-01",  # no time, so no zone
        "12345",
        12345,  # a number is not read as seconds since 1970
        1.5e9,
    ):
        _refused(client.post(PUSH, json=_call(web, "when-1", started_at=when)), 422, "started_at")
    assert _stored(web, Activity.source_id == "when-1") == 0
    for name in ("since", "until"):
        for when in ("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "12345"):
            _refused(client.get(PUSH, params={name: when}), 422, name)
    # A filter's time without a zone is UTC, as before.
    assert client.get(PUSH, params={"since": "2026-06-01T00:00:00", "limit": 1}).status_code == 200


def test_call_durations_outside_0_to_a_week_are_422(web: Web) -> None:
    client = web.client("admin")
    for seconds in (-1, LONGEST_CALL_S + 1, 2**31, 2**63, 10**23):
        answer = client.post(PUSH, json=_call(web, "long-1", duration_s=seconds))
        _refused(answer, 422, "duration_s")
    assert _stored(web, Activity.source_id == "long-1") == 0
    week = client.post(
        PUSH,
        json=_call(web, "long-2", duration_s=LONGEST_CALL_S, started_at="2026-06-20T09:00:00Z"),
    )
    assert week.status_code == 201, week.text


def test_a_nul_in_any_parameter_is_422_naming_it(web: Web) -> None:
    client = web.client("admin")
    for path, name in (
        ("/api/v1/reps", "team_id"),
        ("/api/v1/accounts", "q"),
        ("/api/v1/accounts", "cursor"),
        ("/api/v1/contacts", "account_id"),
        ("/api/v1/contacts", "q"),
        ("/api/v1/opportunities", "rep_id"),
        ("/api/v1/opportunities", "stage"),
        ("/api/v1/opportunities", "q"),
        ("/api/v1/activities", "contact_id"),
        ("/api/v1/activities", "opportunity_id"),
        ("/api/v1/review", "account_id"),
    ):
        _refused(client.get(path, params={name: "a\x00b"}), 422, name, "NUL")
    for path in ("reps", "accounts", "contacts", "opportunities"):
        _refused(client.get(f"/api/v1/{path}/a%00b"), 422, "NUL")


def test_a_nul_in_any_body_field_is_422_naming_it_and_stores_nothing(web: Web) -> None:
    client = web.client("admin")
    for name in ("external_id", "subject", "notes", "from_number", "to_number"):
        body = {**_call(web, "nul-call"), name: "a\x00b"}
        _refused(client.post(PUSH, json=body), 422, name, "NUL")
    meeting = _meeting(web, "nul-meeting")
    for fields, name in (
        ({"organizer": "rep\x00@example.com"}, "organizer"),
        ({"attendees": [{"email": "a\x00@client.com"}]}, "email"),
        ({"attendees": [{"email": "a@client.com", "name": "A\x00"}]}, "name"),
    ):
        _refused(client.post(PUSH, json={**meeting, **fields}), 422, name, "NUL")
    assert _stored(web, Activity.source_id.in_(["nul-call", "nul-meeting", "ab"])) == 0
    choice = {"action": "link", "opportunity_id": "O\x001"}
    _refused(client.post("/api/v1/review/1", json=choice), 422, "opportunity_id", "NUL")


def test_text_that_is_not_unicode_is_422_not_a_server_error(web: Web) -> None:
    # JSON may escape a lone surrogate, which no database (and no UTF-8 encoder) takes.
    raw = json.dumps(_call(web, "surrogate-1")).replace("surrogate-1", "\\ud800x")
    answer = web.client("admin").post(
        PUSH, content=raw, headers={"Content-Type": "application/json"}
    )
    _refused(answer, 422, "external_id", "Unicode")


def test_a_search_longer_than_a_name_is_422(web: Web) -> None:
    client = web.client("admin")
    for path in ("/api/v1/accounts", "/api/v1/contacts", "/api/v1/opportunities"):
        _refused(client.get(path, params={"q": "a" * 50_001}), 422, "q")
        assert client.get(path, params={"q": "a" * 200}).status_code == 200


def test_a_cursor_from_another_list_or_forged_is_422_naming_the_cursor(web: Web) -> None:
    client = web.client("admin")

    def cursor(path: str) -> str:
        page = client.get(path, params={"limit": 1}).json()
        assert page["next_cursor"], path
        return str(page["next_cursor"])

    activities, accounts = cursor(PUSH), cursor("/api/v1/accounts")
    review, contacts = cursor("/api/v1/review"), cursor("/api/v1/contacts")
    for path, sent in (
        ("/api/v1/accounts", activities),
        ("/api/v1/accounts", contacts),
        ("/api/v1/contacts", accounts),
        ("/api/v1/opportunities", activities),
        ("/api/v1/review", activities),
        ("/api/v1/review", accounts),
        (PUSH, accounts),
        (PUSH, review),
        (PUSH, encode_cursor(["2026-01-01T00:00:00+00:00", 2**70])),
        (PUSH, encode_cursor(["0001-01-01T00:00:00+23:59", 1])),
        ("/api/v1/accounts", encode_cursor(["a\x00", "b"])),
        ("/api/v1/accounts", encode_cursor(["\ud800", "b"])),
        ("/api/v1/contacts", encode_cursor([2**70])),
        ("/api/v1/review", encode_cursor(["after", "9999-12-31T23:59:59-23:59", 5])),
        ("/api/v1/review", encode_cursor(["after", "2026-01-01T00:00:00+00:00", 2**63])),
        ("/api/v1/opportunities", "9" * 30),
        ("/api/v1/opportunities", "²"),
    ):
        answer = client.get(path, params={"cursor": sent})
        _refused(answer, 422, "cursor")
        assert isinstance(answer.json()["detail"], str), answer.text


# --- finding 6: push ----------------------------------------------------------------------


def test_the_same_call_under_another_external_id_is_a_duplicate(web: Web) -> None:
    client = web.client("admin")
    first = client.post(PUSH, json=_call(web, "dialer-dup-1"))
    assert first.status_code == 201, first.text
    stored = first.json()["activity"]
    # The phone system's log of the same call: another id, 30 seconds later, the same minute.
    again = client.post(PUSH, json=_call(web, "pbx-dup-9", started_at="2026-06-20T12:00:30+02:00"))
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "duplicate"
    assert again.json()["activity"]["activity_id"] == stored["activity_id"]
    assert _stored(web, Activity.source_id.in_(["dialer-dup-1", "pbx-dup-9"])) == 1
    # Another minute is another call.
    later = client.post(PUSH, json=_call(web, "dialer-dup-2", started_at="2026-06-20T10:05:00Z"))
    assert later.status_code == 201 and later.json()["outcome"] == "stored"


def test_the_same_meeting_under_two_ids_is_stored_once(web: Web) -> None:
    client = web.client("admin")
    first = client.post(PUSH, json=_meeting(web, "zoom-dup-1"))
    assert first.status_code == 201, first.text
    stored = first.json()["activity"]
    rep, contacts = _emails(web)
    # The calendar's copy: another id, the organizer in capitals, attendees in another order.
    copy = _meeting(
        web,
        "teams-dup-7",
        organizer=rep.upper(),
        attendees=[{"email": c} for c in reversed(contacts[:2])],
    )
    again = client.post(PUSH, json=copy)
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "duplicate"
    assert again.json()["activity"]["activity_id"] == stored["activity_id"]
    assert _stored(web, Activity.source_id.in_(["zoom-dup-1", "teams-dup-7"])) == 1
    # A third person invited makes it another meeting.
    other = _meeting(web, "zoom-dup-2", attendees=[{"email": c} for c in contacts])
    assert client.post(PUSH, json=other).json()["outcome"] == "stored"


def test_a_copy_outside_your_scope_is_a_duplicate_without_the_activity(web: Web) -> None:
    _, contacts = _emails(web)
    with web.store.session() as s:
        rep_a = s.scalar(select(RepEmail.email).where(RepEmail.rep_id == web.rep_a))
    # Rep B's meeting that rep A attends: filed under rep B, whose team rep A cannot see.
    meeting = _meeting(
        web,
        "zoom-scope-1",
        started_at="2026-06-22T15:00:00Z",
        attendees=[{"email": rep_a}, {"email": contacts[0]}],
    )
    first = web.client("admin").post(PUSH, json=meeting)
    assert first.status_code == 201 and first.json()["activity"]["rep_id"] == web.rep_b
    theirs = web.client("rep_a").post(PUSH, json={**meeting, "external_id": "cal-scope-2"})
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["outcome"] == "duplicate" and theirs.json()["activity"] is None
    assert "scope" in theirs.json()["reason"] and meeting["subject"] not in theirs.text
    assert _stored(web, Activity.source_id.in_(["zoom-scope-1", "cal-scope-2"])) == 1


def test_attendees_are_at_most_500(web: Web) -> None:
    client = web.client("admin")
    crowd = [{"email": f"guest{n}@crowd.example"} for n in range(501)]
    answer = client.post(PUSH, json=_meeting(web, "crowd-1", attendees=crowd))
    _refused(answer, 422, "attendees")
    assert _stored(web, Activity.source_id == "crowd-1") == 0
    full = client.post(PUSH, json=_meeting(web, "crowd-2", attendees=crowd[:500]))
    assert full.status_code in (200, 201), full.text


def test_a_body_over_the_limit_is_413_whether_or_not_it_says_its_size(web: Web) -> None:
    client = web.client("admin")
    huge = _call(web, "huge-1", notes="x" * API_BODY_LIMIT)
    _refused(client.post(PUSH, json=huge), 413, "at most")

    def chunks() -> Iterator[bytes]:  # sent chunked: no Content-Length to refuse it by
        yield json.dumps(huge).encode()

    answer = client.post(PUSH, content=chunks(), headers={"Content-Type": "application/json"})
    _refused(answer, 413, "at most")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert _stored(web, Activity.source_id == "huge-1") == 0
    # Just under the limit is read as usual.
    padded = json.dumps(_call(web, "huge-2", started_at="2026-06-20T13:00:00Z")) + " " * (
        API_BODY_LIMIT - 1000
    )
    fits = client.post(PUSH, content=padded, headers={"Content-Type": "application/json"})
    assert fits.status_code == 201, fits.text


def test_strings_longer_than_their_column_are_422_naming_them(web: Web) -> None:
    client = web.client("admin")
    for name, size in (
        ("external_id", 501),
        ("subject", 1001),
        ("notes", 20_001),
        ("from_number", 65),
    ):
        body = {**_call(web, "len-1"), name: "1" * size}
        _refused(client.post(PUSH, json=body), 422, name)
    for fields, name in (
        ({"organizer": "o" * 312 + "@acme.com"}, "organizer"),
        ({"attendees": [{"email": "a" * 312 + "@acme.com"}]}, "email"),
        ({"attendees": [{"email": "a@acme.com", "name": "n" * 301}]}, "name"),
    ):
        _refused(client.post(PUSH, json=_meeting(web, "len-2", **fields)), 422, name)
    assert _stored(web, Activity.source_id.in_(["len-1", "len-2"])) == 0
    # A 500-character id is stored, also in 4-byte characters on PostgreSQL's index.
    wide = client.post(PUSH, json=_call(web, "😀" * 500, started_at="2026-06-20T11:00:00Z"))
    assert wide.status_code == 201, wide.text


# --- the OpenAPI contract -------------------------------------------------------------------


def test_openapi_lists_every_status_a_route_answers_with_its_error_shape(web: Web) -> None:
    doc = web.client().get("/api/v1/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = (method, path)
            assert "401" in responses, where
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in responses, where
                shapes = responses["422"]["content"]["application/json"]["schema"]["anyOf"]
                assert error in shapes, where
                assert {"$ref": "#/components/schemas/ValidationErrorOut"} in shapes, where
            if "{" in path:
                assert "404" in responses, where
            if method == "post":
                assert {"403", "404", "413"} <= set(responses), where
            for status in set(responses) & {"401", "403", "404", "413"}:
                assert responses[status]["content"]["application/json"]["schema"] == error


def test_error_bodies_have_the_declared_shapes(web: Web) -> None:
    client = web.client("admin")
    missing = client.get("/api/v1/accounts/no-such-account").json()
    assert isinstance(missing["detail"], str)
    refused = client.get("/api/v1/activities", params={"limit": 0}).json()
    assert [set(e) for e in refused["detail"]] == [{"loc", "msg", "type"}]
    assert refused["detail"][0]["loc"] == ["query", "limit"]
    unusable = client.post(PUSH, json=_call(web, "shape-1", from_number="not a number")).json()
    assert isinstance(unusable["detail"], str) and "from_number" in unusable["detail"]
    anonymous = web.client().get("/api/v1/me")
    assert anonymous.status_code == 401 and isinstance(anonymous.json()["detail"], str)


# --- property-based: generated pushes -------------------------------------------------------

# Text a JSON client can send (no lone surrogates: json.dumps cannot send them as UTF-8).
_CLEAN = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
# Text as real systems send it: NUL bytes, sizes past every column, nothing at all.
_ODD_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(["", "\x00", "a\x00b", "x" * 1001, "é" * 600, "😀" * 501, " " * 40]),
)
_ODD_INTS = st.one_of(
    st.integers(), st.sampled_from([-1, LONGEST_CALL_S + 1, 2**31, 2**63, 10**23, 1.5, True])
)
# Whole minutes up to a day either way: the offsets ISO 8601 writes.
_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
_TIMES = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=_OFFSETS).map(
    datetime.isoformat
)
_ODD_TIMES = st.one_of(
    st.datetimes(timezones=_OFFSETS).map(datetime.isoformat),  # year 1 to 9999
    st.sampled_from(["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "12345"]),
    st.datetimes().map(datetime.isoformat),  # no zone
    st.integers(),
    _ODD_TEXT,
)
_ODD_CHOICES = st.one_of(st.none(), _ODD_TEXT, _ODD_INTS)
_PROPERTIES = settings(
    # As many as schemathesis runs per operation in a longer run (`make test-full`), at least 50.
    max_examples=max(50, int(os.environ.get("RIGHTTURN_FUZZ_EXAMPLES", "0"))),
    deadline=None,
    database=None,
    print_blob=True,  # a failure prints @reproduce_failure: a rare one can be replayed
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _body(data: Any, usable: dict[str, Any], odd: dict[str, Any]) -> dict[str, Any]:
    """A body whose fields are usable but (mostly) one, which is odd: a value that broke a
    parser or a database before. One at a time, so most odd values reach the code behind the
    field's validation rather than stopping at another field's."""
    broken = data.draw(st.sampled_from([None, *odd]), label="odd field")
    return {
        name: data.draw(odd[name] if name == broken else strategy, label=name)
        for name, strategy in usable.items()
    }


def _push_thrice(web: Web, body: dict[str, Any]) -> None:
    """Push ``body``, again, and under another id: never a server error; a refusal says why;
    what is accepted is stored once, each repeat a duplicate of it (or dropped alike)."""
    client = web.client("admin")
    first = client.post(PUSH, json=body)
    assert first.status_code < 500, first.text
    event(f"answered {first.status_code}")  # --hypothesis-show-statistics: what was reached
    if first.status_code >= 400:
        assert first.json()["detail"], first.text
        return
    outcome = first.json()["outcome"]
    assert outcome in ("stored", "duplicate", "dropped"), first.text
    repeats = [body]
    # Only what this push stored is known to be this content: a generated id (" ", "0") may
    # already name another example's activity, which answers duplicate however it differs.
    if outcome == "stored":
        repeats.append({**body, "external_id": f"another-id-{uuid.uuid4()}"})
    for repeat in repeats:
        again = client.post(PUSH, json=repeat)
        assert again.status_code == 200, again.text
        if outcome == "dropped":
            assert again.json()["outcome"] == "dropped", again.text
            continue
        assert again.json()["outcome"] == "duplicate", again.text
        assert again.json()["activity"]["activity_id"] == first.json()["activity"]["activity_id"]
        # Per kind: a call and a meeting may carry the same id (other examples' pushes).
        same = (Activity.source_id == repeat["external_id"], Activity.kind == body["kind"])
        assert _stored(web, *same) <= 1


@_PROPERTIES
@given(data=st.data())
def test_generated_calls_are_never_a_server_error_nor_stored_twice(web: Web, data: Any) -> None:
    rep_phone, contact_phone = _phones(web, web.rep_a)
    ours, theirs = data.draw(st.permutations([rep_phone, contact_phone]))
    usable = {
        "kind": st.just("call"),
        "external_id": st.uuids().map(str) | _CLEAN.filter(bool),
        "started_at": _TIMES,
        "from_number": st.just(ours),
        "to_number": st.just(theirs),
        "duration_s": st.none() | st.integers(0, LONGEST_CALL_S),
        "direction": st.sampled_from([None, "inbound", "outbound"]),
        "outcome": st.sampled_from([None, "connected", "voicemail", "no_answer"]),
        "subject": st.none() | _CLEAN,
        "notes": st.none() | _CLEAN,
    }
    odd = {
        "external_id": _ODD_TEXT,
        "started_at": _ODD_TIMES,
        "from_number": _ODD_TEXT,
        "to_number": _ODD_TEXT,
        "duration_s": _ODD_INTS,
        "direction": _ODD_CHOICES,
        "outcome": _ODD_CHOICES,
        "subject": _ODD_TEXT,
        "notes": _ODD_TEXT,
    }
    _push_thrice(web, _body(data, usable, odd))


@_PROPERTIES
@given(data=st.data())
def test_generated_meetings_are_never_a_server_error_nor_stored_twice(web: Web, data: Any) -> None:
    rep, contacts = _emails(web)

    def attendees(email: Any, name: Any, response: Any) -> Any:
        return st.lists(
            st.fixed_dictionaries({"email": email}, optional={"name": name, "response": response}),
            max_size=4,
        )

    responses = st.sampled_from([None, "accepted", "declined", "tentative", "needs_action"])
    usable = {
        "kind": st.just("meeting"),
        "external_id": st.uuids().map(str) | _CLEAN.filter(bool),
        "started_at": _TIMES,
        "organizer": st.sampled_from([rep, rep.upper()]),
        "attendees": attendees(st.sampled_from([*contacts, rep]), st.none() | _CLEAN, responses),
        "duration_s": st.none() | st.integers(0, LONGEST_CALL_S),
        "subject": st.none() | _CLEAN,
        "cancelled": st.booleans(),
    }
    odd = {
        "external_id": _ODD_TEXT,
        "started_at": _ODD_TIMES,
        "organizer": _ODD_TEXT,
        "attendees": attendees(_ODD_TEXT, _ODD_TEXT, _ODD_CHOICES) | _ODD_CHOICES,
        "duration_s": _ODD_INTS,
        "subject": _ODD_TEXT,
        "cancelled": _ODD_CHOICES,
    }
    _push_thrice(web, _body(data, usable, odd))
