"""The calendar source: the simulator's calendars, real client files, recurrence and resumption.

Expectations are computed from the files' text (VEVENT blocks, UIDs, DTSTART, RRULE) with plain
string handling, not with icalendar, so the source is checked against an independent reading.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rightturn.capture.ics import IcsSource, default_window
from rightturn.capture.items import Captured, Located, Rejected
from rightturn.errors import ConfigError, SourceError
from rightturn.simulate import simulate_org

CLIENTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "ics-clients"
SIM_WINDOW = (date(2026, 5, 1), date(2026, 6, 30))


@pytest.fixture(scope="module")
def calendars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim") / "org"
    simulate_org(root, seed=3, reps=3, months=2, end=date(2026, 6, 30))
    return root / "calendar"


@pytest.fixture
def clients() -> Path:
    if not (CLIENTS / "parsing_error.ics").is_file():
        pytest.skip(f"the real client calendars are not at {CLIENTS} (they live in ../shared/data)")
    return CLIENTS


def _blocks(path: Path) -> list[dict[str, str]]:
    """The VEVENT blocks of a file as {property name: raw value}, by plain text scanning."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n ", "")
    blocks = re.findall(r"^BEGIN:VEVENT\n(.*?)^END:VEVENT", text, flags=re.M | re.S)
    return [
        {line.split(":", 1)[0]: line.split(":", 1)[1] for line in b.splitlines() if ":" in line}
        for b in blocks
    ]


def _prop(block: dict[str, str], name: str) -> tuple[str, str] | None:
    """(parameters, value) of the first property called ``name`` (parameters may be empty)."""
    for key, value in block.items():
        if key.split(";")[0] == name:
            return key[len(name) :], value
    return None


def _start(block: dict[str, str]) -> datetime:
    """DTSTART of a simulated block: UTC (``...Z``) or local time with a TZID."""
    params, value = _prop(block, "DTSTART") or ("", "")
    if value.endswith("Z"):
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    zone = ZoneInfo(params.split("TZID=")[1])
    return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone).astimezone(UTC)


def _weekly(block: dict[str, str], window: tuple[date, date]) -> list[str]:
    """Occurrence ids of a simulated weekly series (DTSTART;TZID=...; RRULE UNTIL) in window."""
    params, value = _prop(block, "DTSTART") or ("", "")
    zone = ZoneInfo(params.split("TZID=")[1])
    start = datetime.strptime(value, "%Y%m%dT%H%M%S")
    until = datetime.strptime(
        re.findall(r"UNTIL=(\d{8}T\d{6})Z", block["RRULE"])[0], "%Y%m%dT%H%M%S"
    )
    ids: list[str] = []
    while True:
        at = start.replace(tzinfo=zone).astimezone(UTC)
        if at > until.replace(tzinfo=UTC):
            return ids
        if window[0] <= at.date() <= window[1]:
            ids.append(f"{block['UID']}/{at:%Y-%m-%dT%H:%M:%SZ}")
        start += timedelta(days=7)


def _items(source: IcsSource, checkpoint: str | None = None) -> list[Located]:
    return list(source.read(checkpoint))


def _captured(located: list[Located]) -> list[Captured]:
    items = [loc.item for loc in located]
    assert all(isinstance(i, Captured) for i in items), items
    return [i for i in items if isinstance(i, Captured)]


def test_every_simulated_event_is_captured_or_cancelled(calendars: Path) -> None:
    for path in sorted(calendars.glob("*.ics")):
        items = [loc.item for loc in _items(IcsSource(path, window=SIM_WINDOW))]
        assert all(isinstance(i, Captured) for i in items), path.name
        by_id = {i.source_id: i for i in items if isinstance(i, Captured)}
        expected: list[str] = []
        for block in _blocks(path):
            if "RRULE" in block:
                expected += _weekly(block, SIM_WINDOW)
                continue
            expected.append(block["UID"])
            event = by_id[block["UID"]]
            assert event.cancelled == (block["STATUS"] == "CANCELLED")
            assert event.occurred_at == _start(block)
            assert event.subject == block["SUMMARY"]
        assert sorted(by_id) == sorted(expected), path.name
        assert len(items) == len(expected)


def test_simulated_meetings_carry_organizer_attendees_and_responses(calendars: Path) -> None:
    items = [loc.item for loc in _items(IcsSource(calendars, window=SIM_WINDOW))]
    meetings = [i for i in items if isinstance(i, Captured)]
    assert meetings and all(i.kind == "meeting" and i.source == "ics" for i in meetings)
    for m in meetings:
        organizer = [p for p in m.parties if p.role == "organizer"]
        assert len(organizer) == 1 and organizer[0].address.endswith("@brightwave.io")
        assert m.sender == organizer[0]
        attendees = [p for p in m.parties if p.role == "attendee"]
        assert attendees and all(p.address == p.address.lower() and p.name for p in attendees)
        assert {p.response for p in attendees} <= {
            "accepted",
            "declined",
            "tentative",
            "needs_action",
        }
        assert m.duration_s in (1800, 2700, 3600)
        assert m.occurred_at.tzinfo is UTC


def test_recurring_one_on_ones_are_expanded_within_the_window(calendars: Path) -> None:
    june = (date(2026, 6, 1), date(2026, 6, 30))
    path = calendars / "R0001.ics"
    (block,) = [b for b in _blocks(path) if b["UID"].startswith("1on1-")]
    expected = _weekly(block, june)
    assert len(expected) in (4, 5)
    got = [
        loc.item.source_id
        for loc in _items(IcsSource(path, window=june))
        if isinstance(loc.item, Captured) and loc.item.source_id.startswith(block["UID"] + "/")
    ]
    assert got == expected


def test_the_same_meeting_on_two_calendars_has_the_same_ids(calendars: Path) -> None:
    def ids(name: str) -> set[str]:
        items = _items(IcsSource(calendars / name, window=SIM_WINDOW))
        return {loc.item.source_id for loc in items if isinstance(loc.item, Captured)}

    manager, rep = ids("M001.ics"), ids("R0001.ics")
    one_on_one = {i for i in rep if i.startswith("1on1-R0001-")}
    team = {i for i in rep if i.startswith("team-")}
    assert one_on_one and team
    assert one_on_one <= manager and team <= manager and team <= ids("R0002.ics")


def test_a_calendar_folder_is_read_in_path_order_with_files_as_progress(calendars: Path) -> None:
    source = IcsSource(calendars, window=SIM_WINDOW)
    located = _items(source)
    assert source.total() == 4 == located[-1].done
    files = [i.position.split(":event")[0] for i in _captured(located)]
    assert files == sorted(files)
    assert [loc.done for loc in located] == sorted(loc.done for loc in located)


def test_resuming_from_a_checkpoint_yields_exactly_the_rest(calendars: Path) -> None:
    source = IcsSource(calendars, window=SIM_WINDOW)
    everything = _items(source)
    for cut in (0, 5, len(everything) // 2, len(everything) - 2):
        rest = _items(source, everything[cut].checkpoint)
        assert [loc.item for loc in rest] == [loc.item for loc in everything[cut + 1 :]]
    assert _items(source, everything[-1].checkpoint) == []


def test_a_changed_file_is_read_again_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    path.write_text(_calendar(_event("a", "20260504T090000Z"), _event("b", "20260505T090000Z")))
    mark = _items(IcsSource(path))[0].checkpoint
    path.write_text(_calendar(_event("c", "20260504T090000Z"), _event("d", "20260505T090000Z")))
    assert [i.source_id for i in _captured(_items(IcsSource(path), mark))] == ["c", "d"]


# Observed on the client files with WIDE: (captured, cancelled, rejected). Where a figure can be
# derived by hand it is: the VEVENT count of one-off files, 21 daily occurrences in
# parsing_error.ics (3-23 March 2008, one EXDATE), the weekdays of x_location.ics's series.
WIDE = (date(2000, 1, 1), date(2024, 12, 31))


def _weekdays(first: date, last: date) -> int:
    return sum((first + timedelta(days=n)).weekday() < 5 for n in range((last - first).days + 1))


def test_real_client_calendars_never_raise_and_give_the_observed_counts(clients: Path) -> None:
    located = _items(IcsSource(clients, window=WIDE))
    per_file: dict[str, Counter[str]] = {}
    for loc in located:
        item = loc.item
        name = Path(item.source if isinstance(item, Rejected) else item.position).name
        kind = "rejected" if isinstance(item, Rejected) else "captured"
        if isinstance(item, Captured) and item.cancelled:
            kind = "cancelled"
        per_file.setdefault(name.split(":event")[0], Counter())[kind] += 1
    one_offs = {
        p.name: len(_blocks(p))
        for p in clients.glob("*.ics")
        if not any("RRULE" in b for b in _blocks(p))
    }
    assert sorted(one_offs) == [
        "alarm_google_acknowledged.ics",
        "alarm_google_future.ics",
        "alarm_thunderbird_2_future.ics",
        "alarm_thunderbird_closed.ics",
        "alarm_thunderbird_future.ics",
        "alarm_thunderbird_snoozed_until_1457.ics",
        "issue_836_do_not_quote_tzid.ics",
        "property_params.ics",
        "timezone_same_start.ics",
    ]
    expected = {name: Counter(captured=n) for name, n in one_offs.items()}
    expected["parsing_error.ics"] = Counter(captured=20, cancelled=1, rejected=1)
    expected["issue_165_missing_event.ics"] = Counter(rejected=1)  # "BYDAY=MO, TU": bad RRULE
    expected["rfc_7529.ics"] = Counter(rejected=4)  # RSCALE rules cannot be expanded
    expected["x_location.ics"] = Counter(captured=_weekdays(date(2016, 10, 28), WIDE[1]))
    assert per_file == expected
    assert located[-1].done == len(list(clients.glob("*.ics")))


def test_parsing_error_ics_rejects_the_broken_event_with_its_reason(clients: Path) -> None:
    items = [loc.item for loc in _items(IcsSource(clients / "parsing_error.ics", window=WIDE))]
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len(rejected) == 1
    assert rejected[0].position == "event 2" and "EXDATE cannot be read" in rejected[0].reason
    cancelled = [i for i in items if isinstance(i, Captured) and i.cancelled]
    assert [i.source_id.split("/")[1] for i in cancelled] == ["2008-03-11"]
    assert all(i.duration_s == 86400 for i in items if isinstance(i, Captured))


def test_client_times_with_windows_zone_names_are_placed_in_utc(clients: Path) -> None:
    def first(name: str) -> Captured:
        item = _items(IcsSource(clients / name, window=WIDE))[0].item
        assert isinstance(item, Captured)
        return item

    # "Eastern Standard Time" from the file's VTIMEZONE: 17:00 EDT on 28 Oct 2024.
    assert first("issue_836_do_not_quote_tzid.ics").occurred_at == datetime(
        2024, 10, 28, 21, 0, tzinfo=UTC
    )
    # "Pacific Standard Time", 12:00 PST on 24 Feb 2017.
    tz = first("timezone_same_start.ics")
    assert tz.occurred_at == datetime(2017, 2, 24, 20, 0, tzinfo=UTC) and tz.duration_s == 1800
    # An all-day event is midnight UTC; parties from MAILTO: values, lower-cased.
    day = first("property_params.ics")
    assert day.occurred_at == datetime(2012, 8, 14, tzinfo=UTC) and day.duration_s == 86400
    assert [(p.role, p.address, p.name, p.response) for p in day.parties] == [
        ("organizer", "rembrand@daxlab.com", None, None),
        ("attendee", "rembrand@xs4all.nl", "RembrandXS", "needs_action"),
        ("attendee", "rembrand@daxlab.com", "RembrandDX", "needs_action"),
        ("attendee", "rembspam@xs4all.nl", "RembrandSB", "needs_action"),
    ]


def test_an_unparseable_file_is_one_rejection_and_the_folder_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a-broken.ics").write_text("this is not a calendar\n")
    (tmp_path / "b-cut.ics").write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.ics").write_text(_calendar(_event("ok", "20260504T090000Z")))
    (tmp_path / "notes.txt").write_text("not read")
    items = [loc.item for loc in _items(IcsSource(tmp_path))]
    broken, cut, ok = items
    assert isinstance(broken, Rejected) and isinstance(cut, Rejected)
    assert (broken.position, broken.source) == ("file", str(tmp_path / "a-broken.ics"))
    assert "not an iCalendar file" in broken.reason and broken.excerpt
    assert "END:VCALENDAR" in cut.reason
    assert isinstance(ok, Captured) and ok.source_id == "ok"


def _event(uid: str, start: str, *extra: str, tz: str | None = None) -> str:
    dtstart = f"DTSTART;TZID={tz}:{start}" if tz else f"DTSTART:{start}"
    return "\n".join(["BEGIN:VEVENT", f"UID:{uid}", dtstart, *extra, "END:VEVENT"])


def _calendar(*events: str, head: str = "") -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", head, *events, "END:VCALENDAR"]
    return "\n".join(line for line in lines if line) + "\n"


def test_overrides_exdates_and_cancelled_occurrences(tmp_path: Path) -> None:
    ny = "America/New_York"
    path = tmp_path / "series.ics"
    master = _event(
        "w",
        "20260504T093000",
        "DURATION:PT30M",
        "RRULE:FREQ=WEEKLY;COUNT=5",
        f"EXDATE;TZID={ny}:20260511T093000",
        "SUMMARY:Weekly",
        tz=ny,
    )
    moved = _event("w", "20260519T140000", f"RECURRENCE-ID;TZID={ny}:20260518T093000", tz=ny)
    dropped = _event(
        "w",
        "20260525T093000",
        f"RECURRENCE-ID;TZID={ny}:20260525T093000",
        "STATUS:CANCELLED",
        tz=ny,
    )
    path.write_text(_calendar(master, moved, dropped))
    items = _captured(_items(IcsSource(path, window=(date(2026, 5, 1), date(2026, 12, 31)))))
    got = [(i.source_id, i.occurred_at.strftime("%m-%d %H:%M"), i.cancelled) for i in items]
    assert got == [
        ("w/2026-05-04T13:30:00Z", "05-04 13:30", False),
        ("w/2026-05-11T13:30:00Z", "05-11 13:30", True),  # EXDATE: yielded as cancelled
        ("w/2026-05-18T13:30:00Z", "05-19 18:00", False),  # moved: keeps its original id
        ("w/2026-05-25T13:30:00Z", "05-25 13:30", True),  # a cancelled occurrence
        ("w/2026-06-01T13:30:00Z", "06-01 13:30", False),
    ]
    # The window bounds expansion: what starts inside it, both ends included.
    narrow = _captured(_items(IcsSource(path, window=(date(2026, 5, 11), date(2026, 5, 25)))))
    assert [i.source_id[2:12] for i in narrow] == ["2026-05-11", "2026-05-18", "2026-05-25"]


def test_floating_times_are_utc_unless_the_calendar_names_its_zone(tmp_path: Path) -> None:
    plain = tmp_path / "plain.ics"
    plain.write_text(_calendar(_event("f", "20260504T090000", "DTEND:20260504T100000")))
    google = tmp_path / "google.ics"
    google.write_text(_calendar(_event("f", "20260504T090000"), head="X-WR-TIMEZONE:Europe/Berlin"))
    (a,) = [loc.item for loc in _items(IcsSource(plain))]
    (b,) = [loc.item for loc in _items(IcsSource(google))]
    assert isinstance(a, Captured) and isinstance(b, Captured)
    assert a.occurred_at == datetime(2026, 5, 4, 9, tzinfo=UTC) and a.duration_s == 3600
    assert b.occurred_at == datetime(2026, 5, 4, 7, tzinfo=UTC) and b.duration_s == 0


def test_events_without_start_are_rejected_and_parties_are_read(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    path.write_text(
        _calendar(
            "BEGIN:VEVENT\nUID:x\nEND:VEVENT",
            _event(
                "y",
                "20260504T090000Z",
                "ORGANIZER;CN=Ann Lee:mailto:Ann@Example.COM",
                "ATTENDEE;CN=Bo;PARTSTAT=DECLINED:MAILTO:bo@example.com",
                "ATTENDEE;PARTSTAT=TENTATIVE:mailto:cy@example.com",
                "ATTENDEE:mailto:di@example.com",
                "ATTENDEE;CN=Room:urn:uuid:4c1f",
                "ATTENDEE:mailto:not-an-address",
                "DESCRIPTION:" + "x" * 2500,
            ),
        )
    )
    rejected, event = [loc.item for loc in _items(IcsSource(path))]
    assert isinstance(rejected, Rejected) and isinstance(event, Captured)
    assert rejected.position == "event 1" and "no DTSTART" in rejected.reason
    assert rejected.excerpt == "UID:x SUMMARY:-"
    assert [(p.role, p.address, p.name, p.response) for p in event.parties] == [
        ("organizer", "ann@example.com", "Ann Lee", None),
        ("attendee", "bo@example.com", "Bo", "declined"),
        ("attendee", "cy@example.com", None, "tentative"),
        ("attendee", "di@example.com", None, "needs_action"),
    ]
    assert event.body_excerpt == "x" * 2000


def test_events_without_uid_get_a_stable_hashed_id(tmp_path: Path) -> None:
    one, two = tmp_path / "one.ics", tmp_path / "two.ics"
    one.write_text(_calendar(_event("", "20260504T090000Z", "SUMMARY:Call").replace("UID:\n", "")))
    two.write_text(_calendar(_event("", "20260504T090000Z", "SUMMARY:Call").replace("UID:\n", "")))
    (a,) = [loc.item for loc in _items(IcsSource(one))]
    (b,) = [loc.item for loc in _items(IcsSource(two))]
    assert isinstance(a, Captured) and isinstance(b, Captured)
    assert a.source_id == b.source_id and a.source_id.startswith("ics-")


def test_the_default_window_is_a_year_back_to_ninety_days_ahead(tmp_path: Path) -> None:
    assert default_window(date(2026, 6, 30)) == (date(2025, 6, 30), date(2026, 9, 28))
    assert IcsSource(tmp_path).window == default_window()
    with pytest.raises(ConfigError, match="earlier date first"):
        IcsSource(tmp_path, window=(date(2026, 2, 1), date(2026, 1, 1)))


def test_a_missing_path_or_foreign_checkpoint_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"neither an \.ics file nor a folder"):
        IcsSource(tmp_path / "absent").total()
    with pytest.raises(SourceError, match="reset the checkpoint"):
        next(IcsSource(tmp_path).read('{"line": 3}'))
