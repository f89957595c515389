"""The call-log source: the simulator's log, mapping files, rejected rows and resumption."""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from rightturn.capture.calls import PROFILES, CallLogSource, load_mapping
from rightturn.capture.items import Captured, Located, Rejected
from rightturn.errors import ConfigError, SourceError
from rightturn.simulate import simulate_org

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
GENERIC_HEADER = "call_id,started_at,from_number,to_number,direction,duration_s,outcome\n"


@pytest.fixture(scope="module")
def sim_calls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim") / "org"
    simulate_org(root, seed=3, reps=3, months=2, end=date(2026, 6, 30))
    return root / "calls" / "calls.csv"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _items(source: CallLogSource, checkpoint: str | None = None) -> list[Located]:
    return list(source.read(checkpoint))


def _ids(located: list[Located]) -> list[str]:
    return [loc.item.source_id for loc in located if isinstance(loc.item, Captured)]


def test_every_simulated_call_is_captured_with_e164_numbers(sim_calls: Path) -> None:
    with sim_calls.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    source = CallLogSource(sim_calls)
    located = _items(source)

    assert len(located) == len(rows) > 20
    calls = [loc.item for loc in located]
    assert all(isinstance(c, Captured) for c in calls)
    for line, (row, call) in enumerate(zip(rows, calls, strict=True), start=2):
        assert isinstance(call, Captured)
        assert (call.kind, call.source, call.source_id) == ("call", "calls", row["call_id"])
        assert call.occurred_at == datetime.fromisoformat(row["started_at"]).astimezone(UTC)
        assert call.occurred_at.tzinfo is UTC
        assert (call.duration_s, call.outcome) == (int(row["duration_s"]), row["outcome"])
        assert call.direction_hint == row["direction"]
        # E.164, or another country's national number kept for association to resolve.
        assert call.parties and all(
            E164.match(p.address) or p.address.startswith("national:") for p in call.parties
        )
        # A number written with its country code is always read, whatever the region.
        for column, role in (("from_number", "caller"), ("to_number", "callee")):
            if row[column].startswith(("+", "00")):
                assert role in {p.role for p in call.parties}
        assert call.position == f"{sim_calls}:{line}"
    assert located[-1].done == source.total() == sim_calls.stat().st_size
    assert source.key == f"calls:{sim_calls}"


def test_the_rep_number_of_a_simulated_call_is_the_rep_phone_in_e164(sim_calls: Path) -> None:
    reps = sim_calls.parent.parent / "crm" / "reps.csv"
    with reps.open(newline="", encoding="utf-8") as f:
        rep_phones = {"+" + re.sub(r"\D", "", r["phones"]) for r in csv.DictReader(f)}
    for loc in _items(CallLogSource(sim_calls)):
        call = loc.item
        assert isinstance(call, Captured)
        mine = "caller" if call.direction_hint == "outbound" else "callee"
        assert next(p.address for p in call.parties if p.role == mine) in rep_phones


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("+1 415-555-0134", "+14155550134"),
        ("(415) 555-0134", "+14155550134"),
        ("4155550134", "+14155550134"),
        ("1-646-828-3193", "+16468283193"),
        ("628.484.9565", "+16284849565"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+49 30 1234567", "+49301234567"),
        ("0049 30 1234567", "+49301234567"),
    ],
)
def test_numbers_in_mixed_formats_become_e164(tmp_path: Path, written: str, e164: str) -> None:
    path = _write(
        tmp_path / "calls.csv",
        GENERIC_HEADER + f'C1,2026-05-04T15:54:01Z,"{written}",+16468283193,inbound,5,connected\n',
    )
    (call,) = [loc.item for loc in _items(CallLogSource(path))]
    assert isinstance(call, Captured)
    assert [(p.role, p.address) for p in call.parties] == [
        ("caller", e164),
        ("callee", "+16468283193"),
    ]


def test_a_national_number_of_another_country_is_read_with_that_region(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "calls.csv",
        GENERIC_HEADER + "C1,2026-05-04T15:54:01Z,020 7946 0958,+1 415-555-0134,inbound,5,\n",
    )
    (us,) = [loc.item for loc in _items(CallLogSource(path))]
    (gb,) = [loc.item for loc in _items(CallLogSource(path, region="GB"))]
    assert isinstance(us, Captured) and isinstance(gb, Captured)
    # Read in the US the UK number is not a US number: it is kept by its national digits, for
    # association to match against the known numbers of other countries.
    assert [(p.role, p.address) for p in us.parties] == [
        ("caller", "national:2079460958"),
        ("callee", "+14155550134"),
    ]
    assert [p.address for p in gb.parties] == ["+442079460958", "+14155550134"]
    assert us.outcome is None


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_continue(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "calls.csv",
        GENERIC_HEADER
        + "C1,2026-05-04T15:54:01Z,+14155550134,+16468283193,outbound,70,voicemail\n"
        + "C2,yesterday at noon,+14155550134,+16468283193,outbound,70,voicemail\n"
        + "C3,2026-05-04T16:00:00Z,not a number,12,outbound,0,no_answer\n"
        + "\n"
        + "C4,2026-05-04T17:00:00Z,(415) 555-0134,,inbound,1:05,connected\n"
        + "C5,,+14155550134,+16468283193,outbound,70,voicemail\n",
    )
    items = [loc.item for loc in _items(CallLogSource(path))]

    kinds = [type(i).__name__ for i in items]
    assert kinds == ["Captured", "Rejected", "Rejected", "Captured", "Rejected"]
    bad_date, no_numbers, no_date = items[1], items[2], items[4]
    assert isinstance(bad_date, Rejected) and isinstance(no_numbers, Rejected)
    assert isinstance(no_date, Rejected)
    assert (bad_date.kind, bad_date.source, bad_date.position) == ("call", str(path), "line 3")
    assert "'yesterday at noon'" in bad_date.reason and "date_format" in bad_date.reason
    assert bad_date.excerpt == (
        "C2,yesterday at noon,+14155550134,+16468283193,outbound,70,voicemail"
    )
    assert no_numbers.position == "line 4"
    assert "'not a number'" in no_numbers.reason and "neither number" in no_numbers.reason
    assert no_date.position == "line 7" and "started_at is empty" in no_date.reason
    kept = items[3]
    assert isinstance(kept, Captured)
    assert kept.position == f"{path}:6" and kept.duration_s == 65
    assert [p.role for p in kept.parties] == ["caller"]


def test_a_missing_column_refuses_the_file_before_any_row(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "calls.csv",
        "call_id,started_at,from_number,direction\nC1,2026-05-04T15:54:01Z,+14155550134,in\n",
    )
    with pytest.raises(SourceError) as err:
        next(CallLogSource(path).read(None))
    message = str(err.value)
    assert str(path) in message and "to_number" in message and "duration_s" in message
    assert "--map" in message


def test_an_empty_or_absent_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is empty"):
        next(CallLogSource(_write(tmp_path / "empty.csv", "")).read(None))
    with pytest.raises(SourceError, match="cannot read"):
        next(CallLogSource(tmp_path / "absent.csv").read(None))


MAPPING = """\
columns:
  call_id: Call ID
  started_at: [Date, Time]
  from_number: From
  to_number: To
  direction: Direction
  duration_s: Duration
  outcome: Status
date_format: "%d.%m.%Y %H:%M"
timezone: Europe/Berlin
direction_values: {Eingehend: inbound, Ausgehend: outbound}
outcome_values: {Answered: connected, Missed: no_answer, Mailbox: voicemail}
region: DE
delimiter: ";"
"""


def test_a_mapping_file_reads_another_export(tmp_path: Path) -> None:
    mapping = load_mapping(_write(tmp_path / "fritz.yaml", MAPPING))
    path = _write(
        tmp_path / "export.csv",
        "Call ID;Date;Time;From;To;Direction;Duration;Status\n"
        "a-1;04.05.2026;09:15;030 1234567;+1 415-555-0134;Ausgehend;0:02:05;answered\n"
        "a-2;04.05.2026;10:00;+44 20 7946 0958;0301234567;Eingehend;0;Missed\n"
        "a-3;05.05.2026;11:30;0301234567;0301234568;Ausgehend;20;Mailbox\n",
    )
    calls = [loc.item for loc in _items(CallLogSource(path, mapping=mapping))]

    assert all(isinstance(c, Captured) for c in calls)
    first, second, third = calls
    assert isinstance(first, Captured) and isinstance(second, Captured)
    assert isinstance(third, Captured)
    assert first.source_id == "a-1"
    # 09:15 in Berlin (CEST) is 07:15 UTC.
    assert first.occurred_at == datetime(2026, 5, 4, 7, 15, tzinfo=UTC)
    assert [p.address for p in first.parties] == ["+49301234567", "+14155550134"]
    assert (first.direction_hint, first.outcome, first.duration_s) == ("outbound", "connected", 125)
    assert (second.direction_hint, second.outcome) == ("inbound", "no_answer")
    assert third.outcome == "voicemail"


def test_a_mapping_can_extend_a_built_in_profile(tmp_path: Path) -> None:
    mapping = load_mapping(
        _write(tmp_path / "rc.yaml", "extends: ringcentral\ntimezone: America/New_York\n")
    )
    assert mapping.columns == PROFILES["ringcentral"].columns
    assert mapping.timezone == "America/New_York"
    assert mapping.outcome_values == PROFILES["ringcentral"].outcome_values


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("colums: {}\n", ["colums", "the keys are"]),
        ("columns: {started_at: When, from_number: From}\n", ["to_number", "columns lacks"]),
        ("columns: {start: When}\n", ["columns.start", "started_at"]),
        (MAPPING.replace("Missed: no_answer", "Missed: lost"), ["outcome_values.Missed", "lost"]),
        (MAPPING.replace("Europe/Berlin", "Berlin"), ["timezone", "America/New_York"]),
        (MAPPING.replace("%d.%m.%Y %H:%M", "dd.mm.yyyy"), ["date_format", "% codes"]),
        (MAPPING.replace("region: DE", "region: Germany"), ["region", "'Germany'"]),
        ("extends: aircall\n", ["extends", "generic"]),
        ("columns: [a, b\n", ["not valid YAML"]),
        ("- just a list\n", ["columns:"]),
    ],
)
def test_a_bad_mapping_file_names_the_key_and_the_fix(
    tmp_path: Path, text: str, names: list[str]
) -> None:
    path = _write(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_mapping(path)
    assert str(path) in str(err.value)
    for name in names:
        assert name in str(err.value)


def test_an_unknown_profile_or_region_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ringcentral"):
        CallLogSource(tmp_path / "x.csv", profile="aircall")
    with pytest.raises(ConfigError, match="region"):
        CallLogSource(tmp_path / "x.csv", region="USA")


RINGCENTRAL = """\
Type,Direction,From,To,Date,Time,Action,Action Result,Duration
Voice,Outgoing,(646) 828-3193,+1 415-555-0134,05/04/2026,9:15:02 AM,Phone Call,Accepted,0:12:41
Voice,Incoming,+44 20 7946 0958,6468283193,05/04/2026,1:05:00 PM,Phone Call,Missed,0:00:00
Voice,Outgoing,646.828.3193,(212) 555-0100,05/05/2026,4:40:10 PM,Phone Call,Voicemail,0:00:31
Voice,Outgoing,646.828.3193,(212) 555-0100,05/05/2026,4:41:00 PM,Phone Call,Busy,0:00:00
"""


def test_the_ringcentral_profile_reads_its_export_and_hashes_ids(tmp_path: Path) -> None:
    path = _write(tmp_path / "rc.csv", RINGCENTRAL)
    calls = [loc.item for loc in _items(CallLogSource(path, profile="ringcentral"))]
    assert all(isinstance(c, Captured) for c in calls)
    first = calls[0]
    assert isinstance(first, Captured)
    assert first.occurred_at == datetime(2026, 5, 4, 9, 15, 2, tzinfo=UTC)
    assert (first.direction_hint, first.outcome, first.duration_s) == ("outbound", "connected", 761)
    assert [p.address for p in first.parties] == ["+16468283193", "+14155550134"]
    basis = "|".join(["2026-05-04T09:15:02+00:00", "+16468283193", "+14155550134", "761"])
    assert first.source_id == "call-" + hashlib.sha1(basis.encode()).hexdigest()
    outcomes = [c.outcome for c in calls if isinstance(c, Captured)]
    assert outcomes == ["connected", "no_answer", "voicemail", "no_answer"]
    assert len({c.source_id for c in calls if isinstance(c, Captured)}) == 4


def test_a_hashed_id_survives_a_re_export_with_other_number_formats(tmp_path: Path) -> None:
    other = RINGCENTRAL.replace("(646) 828-3193,+1 415-555-0134", "+16468283193,4155550134")
    first = _items(CallLogSource(_write(tmp_path / "a.csv", RINGCENTRAL), profile="ringcentral"))
    again = _items(CallLogSource(_write(tmp_path / "b.csv", other), profile="ringcentral"))
    assert _ids(first) == _ids(again) and len(_ids(first)) == 4


def test_resuming_from_a_checkpoint_yields_exactly_the_remaining_rows(sim_calls: Path) -> None:
    source = CallLogSource(sim_calls)
    everything = _items(source)
    for cut in (0, 1, 17, len(everything) - 1):
        rest = _items(source, everything[cut].checkpoint)
        assert [loc.item for loc in rest] == [loc.item for loc in everything[cut + 1 :]]
        assert [loc.done for loc in rest] == [loc.done for loc in everything[cut + 1 :]]


def test_an_appended_log_resumes_with_the_new_rows_only(tmp_path: Path) -> None:
    row = "C{n},2026-05-0{n}T10:00:00Z,+14155550134,+16468283193,outbound,5,connected\n"
    path = _write(tmp_path / "calls.csv", GENERIC_HEADER + row.format(n=1) + row.format(n=2))
    mark = _items(CallLogSource(path))[-1].checkpoint
    with path.open("a", encoding="utf-8") as f:
        f.write(row.format(n=3))
    rest = _items(CallLogSource(path), mark)
    assert _ids(rest) == ["C3"]


def test_a_rewritten_file_is_read_again_from_the_top(tmp_path: Path) -> None:
    row = "C{n},2026-05-0{n}T10:00:00Z,+14155550134,+16468283193,outbound,5,connected\n"
    path = _write(tmp_path / "calls.csv", GENERIC_HEADER + row.format(n=1) + row.format(n=2))
    mark = _items(CallLogSource(path))[0].checkpoint
    _write(path, GENERIC_HEADER + row.format(n=7) + row.format(n=8) + row.format(n=9))
    again = _items(CallLogSource(path), mark)
    assert _ids(again) == ["C7", "C8", "C9"]


def test_a_foreign_checkpoint_is_refused_with_the_fix(sim_calls: Path) -> None:
    with pytest.raises(SourceError, match="reset the checkpoint"):
        next(CallLogSource(sim_calls).read('{"file": "a.ics"}'))
