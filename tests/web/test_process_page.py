"""The process page: the version in force, its stages, cadences and day limits, every version;
and the other pages' stage order following an applied process.

Its own module: applying a process changes the stage order of the module's whole store."""

from __future__ import annotations

import html as htmllib
import re

from rightturn.process.definition import FILES
from rightturn.process.versions import apply_process
from tests.web.conftest import Web

# The simulated org's stages, less Negotiation, plus a Demo stage no deal has reached.
CUSTOM = """\
name: Demo-led process
stages:
  - name: Prospecting
  - name: Qualification
    entry: [a buyer reply]
  - name: Discovery
    entry: [a meeting with a buyer held]
    usual_days: 30
  - name: Demo
    entry: [at least 2 buyer contacts engaged]
  - name: Proposal
    entry: [amount set, close date set]
  - name: Closed Won
    outcome: won
  - name: Closed Lost
    outcome: lost
cadences:
  - name: Quick start
    applies_to: {stage: prospect, segments: [SMB]}
    touches:
      - {channel: call, wait_days: 0}
      - {channel: email, wait_days: 1.5, template: recap}
    exit_on: [buyer reply, opt-out]
day:
  new_prospects_per_day: 6
  dark_after_days: 9
"""


def _column(page: str, table: str, n: int) -> list[str]:
    """The text of column ``n`` (from 0) of every body row of the table with id or class."""
    body = re.search(
        rf'<table[^>]*(?:id|data-cadence)="{table}"[^>]*>.*?<tbody>(.*?)</tbody>', page, re.S
    )
    assert body, f"no table {table}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [htmllib.unescape(re.sub(r"<[^>]+>", "", c[n])).strip() for c in cells]


def test_the_shipped_default_is_shown_as_version_0_until_one_is_applied(web: Web) -> None:
    page = web.browser("manager_a").get("/process")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Process: Default B2B process</h1>" in text
    assert "Version 0, the shipped default" in text and "no process has been applied" in text
    assert _column(text, "stages", 1)[:2] == ["Prospecting", "Qualification"]
    assert _column(text, "stages", 1)[-2:] == ["Closed Won (won)", "Closed Lost (lost)"]
    assert _column(text, "stages", 2)[1] == "a buyer reply"
    play = "Prospecting, 8 touches in 21 days"
    assert _column(text, play, 0) == [str(n) for n in range(1, 9)]
    assert _column(text, play, 1) == ["0", "2", "4", "7", "10", "13", "17", "21"]
    assert _column(text, play, 2)[:2] == ["email", "call"]
    assert _column(text, play, 3)[0] == "first-touch"
    assert "Ends early on: buyer reply, meeting booked, bounce, opt-out, disposition." in text
    assert "None applied yet" in text
    # The header links it for every role, beside the glossary.
    assert 'href="/process"' in text and 'aria-current="page" title="The sales process' in text


def test_an_applied_version_is_shown_with_when_and_by_whom_and_the_versions(web: Web) -> None:
    done = apply_process(web.store, CUSTOM, who="ops@example.com")
    manager = web.browser("manager_a")
    text = manager.get("/process").text
    assert "<h1>Process: Demo-led process</h1>" in text
    applied = rf"Version {done.version}, applied \d{{4}}-\d\d-\d\d \d\d:\d\d by ops@example.com"
    assert re.search(applied + ": in force", text)
    assert _column(text, "stages", 1) == [
        "Prospecting",
        "Qualification",
        "Discovery",
        "Demo",
        "Proposal",
        "Closed Won (won)",
        "Closed Lost (lost)",
    ]
    assert _column(text, "stages", 4)[:3] == ["learned", "learned", "30"]
    assert _column(text, "Quick start", 1) == ["0", "1.5"]
    assert "Prospects, segments SMB · 2 touches over 1.5 days" in text
    assert "Ends early on: buyer reply, opt-out." in text
    day = re.search(r'id="day-limits">(.*?)</section>', text, re.S)
    assert day and ">6<" in day.group(1) and "9 days without a buyer response" in day.group(1)
    # The data's Negotiation is named as kept, after the process's open stages.
    assert "this process does not name: Negotiation" in text
    assert _column(text, "versions", 0) == [str(done.version)]
    assert _column(text, "versions", 3) == ["ops@example.com"]
    assert _column(text, "versions", 4) == ["in force"]
    assert "Demo-led process" in htmllib.unescape(text)

    # Another version: the list grows, newest first, and an older one can still be read.
    apply_process(web.store, FILES / "call-first.yaml", who="ops@example.com")
    text = manager.get("/process").text
    assert _column(text, "versions", 0) == [str(done.version + 1), str(done.version)]
    older = manager.get("/process", params={"version": done.version}).text
    assert "<h1>Process: Demo-led process</h1>" in older
    assert f"not in force (version {done.version + 1} is)" in older
    assert (
        "Version 0, the shipped default: not in force"
        in manager.get("/process", params={"version": 0}).text
    )
    missing = manager.get("/process", params={"version": 999})
    assert missing.status_code == 404 and "no process version 999" in missing.text
    assert manager.get("/process", params={"version": -1}).status_code == 422
    apply_process(web.store, CUSTOM, who="ops@example.com")  # back to the custom one


def test_a_rep_reads_the_process_they_follow(web: Web) -> None:
    page = web.browser("rep_a").get("/process")
    assert page.status_code == 200
    assert "<h1>Process: Demo-led process</h1>" in page.text
    assert 'href="/process"' in page.text


def test_the_stage_filter_and_the_funnel_follow_the_process_in_force(web: Web) -> None:
    page = web.browser("admin").get("/opportunities").text
    menu = re.search(r'<select name="stage">(.*?)</select>', page, re.S)
    assert menu
    stages = [
        htmllib.unescape(s) for s in re.findall(r"<option[^>]*>([^<]+)</option>", menu.group(1))
    ]
    assert stages[1:] == [
        "Prospecting",
        "Qualification",
        "Discovery",
        "Demo",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    ]
