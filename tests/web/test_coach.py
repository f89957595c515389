"""The coaching pages on the simulated org, SQLite and PostgreSQL: a rep sees their own
scorecard only, a manager their team's; a manager sets a focus from the rep's page and it is
listed and followed; refusals are pages in words; the forms need the CSRF token."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from rightturn.analytics.snapshot import as_of_datetime
from rightturn.crm.model import CoachingNote, Rep
from rightturn.crm.scope import Scope
from rightturn.effort.coach import PRACTICES, scorecard
from rightturn.effort.notes import progress, record_note
from tests.web.conftest import END, Web

AS_OF = {"as_of": END.isoformat()}


def _name(web: Web, rep_id: str) -> str:
    with web.store.session() as s:
        return str(s.scalar(select(Rep.name).where(Rep.rep_id == rep_id)))


def _notes(web: Web) -> int:
    with web.store.session() as s:
        return s.scalar(select(func.count()).select_from(CoachingNote)) or 0


def _post(client, path: str, **fields: str):  # type: ignore[no-untyped-def]
    """Post a coaching form as a browser does (with the CSRF cookie's token)."""
    data = {"csrf_token": client.cookies["rt_csrf"], **fields}
    return client.post(path, data=data, follow_redirects=False)


def test_a_rep_is_taken_to_their_own_scorecard_and_sees_no_other(web: Web) -> None:
    client = web.browser("rep_a")
    to_own = client.get("/coach", params=AS_OF, follow_redirects=False)
    assert to_own.status_code == 303
    assert to_own.headers["location"] == f"/coach/{web.rep_a}?as_of={END.isoformat()}"
    page = client.get(to_own.headers["location"])
    assert page.status_code == 200, page.text
    assert "Your scorecard" in page.text and 'href="/coach"' in page.text
    assert set(re.findall(r'<tr data-practice="(\w+)"', page.text)) == {p.key for p in PRACTICES}
    assert 'id="note-form"' not in page.text  # a rep reads their notes, sets none
    for other in (web.rep_a2, web.rep_b):  # a teammate's page too: a rep's pages are theirs
        assert client.get(f"/coach/{other}").status_code == 404


def test_the_scorecard_shows_the_domains_figures(web: Web) -> None:
    until = as_of_datetime(END)
    card = scorecard(
        web.store, web.rep_a, scope=Scope.everything(), since=until - timedelta(weeks=26),
        until=until,
    )  # fmt: skip
    assert card.result.touches, "the busiest rep should have touches whose window is over"
    page = web.browser("manager_a").get(f"/coach/{web.rep_a}", params=AS_OF)
    results = page.text.split('id="results"')[1].split("</table>")[0]
    first = re.search(r'<td class="num">([\d,]+)</td>', results)
    assert first and int(first.group(1).replace(",", "")) == card.result.touches
    order = re.findall(r'<tr data-practice="(\w+)"', page.text)
    assert order == [g.key for g in card.gaps]  # the biggest gain first, as the domain ranks
    sentences = htmllib.unescape(page.text.split('id="sentences"')[1])
    name = _name(web, web.rep_a)
    # A manager reads the rep's sentence about the rep.
    assert card.gaps[0].sentence.replace("of your ", f"of {name}'s ", 1) in sentences
    assert "Coaching: " + htmllib.escape(name) in page.text


def test_a_manager_sees_their_team_and_no_other(web: Web) -> None:
    client = web.browser("manager_a")
    page = client.get("/coach", params=AS_OF)
    assert page.status_code == 200, page.text
    listed = set(re.findall(r'<tr data-rep-id="([^"]+)"', page.text))
    assert {web.rep_a, web.rep_a2} <= listed and web.rep_b not in listed
    assert htmllib.escape(_name(web, web.rep_a)) in page.text
    assert client.get(f"/coach/{web.rep_b}").status_code == 404
    assert web.browser("manager_b").get(f"/coach/{web.rep_a}").status_code == 404


def test_a_manager_sets_a_focus_the_rep_sees_it_and_the_manager_closes_it(web: Web) -> None:
    manager = web.browser("manager_a")
    manager.get(f"/coach/{web.rep_a2}")
    answer = _post(
        manager, f"/coach/{web.rep_a2}/notes", practice="issue", target="60%",
        note="Open with the buyer's month-end close",
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    page = manager.get(answer.headers["location"])
    note_id = re.search(r'id="note-(\d+)" data-note-id', page.text).group(1)  # type: ignore[union-attr]
    assert "Recorded: focus on issue-focused emails, target 60%." in page.text
    section = htmllib.unescape(page.text.split(f'id="note-{note_id}"')[1].split("</section>")[0])
    assert "Issue-focused emails, target 60%" in section and web.emails["manager_a"] in section
    assert "“Open with the buyer's month-end close”" in section
    # Recorded today, after the simulated org's last day: no week has touches yet, said so.
    assert f'id="chart-note-{note_id}"' not in section and "No touches from the week of" in section
    team = manager.get("/coach")
    assert f'data-note-id="{note_id}"' in team.text  # listed with the rep on the team page
    closed = _post(manager, f"/coach/{web.rep_a2}/notes/{note_id}/close")
    assert closed.status_code == 303
    page = manager.get(closed.headers["location"])
    assert "Closed: the focus on issue-focused emails." in page.text
    assert f'data-note-id="{note_id}" data-open="no"' in page.text
    again = _post(manager, f"/coach/{web.rep_a2}/notes/{note_id}/close")
    assert again.status_code == 409 and "record a new note" in htmllib.unescape(again.text)
    assert "<!doctype html>" in again.text.lower()  # a styled page, not JSON


def test_a_refused_note_is_the_page_again_with_the_form_filled_in(web: Web) -> None:
    manager = web.browser("manager_a")
    manager.get(f"/coach/{web.rep_a}")
    before = _notes(web)
    refused = _post(manager, f"/coach/{web.rep_a}/notes", practice="brief", target="60",
                    note="Shorter")  # fmt: skip
    assert refused.status_code == 422
    text = htmllib.unescape(refused.text)
    assert "Nothing was recorded: target '60' is not a share of touches" in text
    assert "for 60% write 60% or 0.6" in text
    assert 'name="target" size="6" placeholder="60%" inputmode="decimal" value="60"' in text
    assert '<option value="brief" selected>' in text
    unknown = _post(manager, f"/coach/{web.rep_a}/notes", practice="brevity")
    assert unknown.status_code == 422 and "use one of brief" in unknown.text
    assert _notes(web) == before


def test_a_rep_cannot_set_their_own_focus_nor_a_manager_another_teams(web: Web) -> None:
    rep = web.browser("rep_a")
    rep.get(f"/coach/{web.rep_a}")
    before = _notes(web)
    refused = _post(rep, f"/coach/{web.rep_a}/notes", practice="brief")
    assert refused.status_code == 403 and "set by a rep&#39;s manager" in refused.text
    manager = web.browser("manager_a")
    manager.get("/coach")
    assert _post(manager, f"/coach/{web.rep_b}/notes", practice="brief").status_code == 404
    assert _notes(web) == before


def test_the_note_form_needs_the_csrf_token(web: Web) -> None:
    manager = web.browser("manager_a")
    manager.get(f"/coach/{web.rep_a}")
    before = _notes(web)
    forged = manager.post(
        f"/coach/{web.rep_a}/notes", data={"practice": "brief"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert _notes(web) == before


def test_a_note_is_followed_week_by_week_on_the_page(web: Web) -> None:
    noted = datetime(2026, 6, 1, 9, tzinfo=UTC)  # within the simulated months
    note = record_note(web.store, web.rep_a, "question", "50%", "Ask about their close",
                       "manager_a@example.com", Scope.everything(), at=noted)  # fmt: skip
    expected = progress(web.store, note, until=as_of_datetime(END))
    assert expected.before.n and expected.since.n, "the busiest rep should email every week"
    page = web.browser("rep_a").get(f"/coach/{web.rep_a}", params=AS_OF)
    section = htmllib.unescape(page.text.split(f'id="note-{note.id}"')[1].split("</section>")[0])
    assert f'id="chart-note-{note.id}"' in section  # the weeks drawn
    facts = re.findall(r"<dd[^>]*>([^<]*)<span class=\"hint\">\(n=([\d,]+)\)", section)
    shown = [(share.strip(), int(n.replace(",", ""))) for share, n in facts[:3]]
    assert shown == [
        (f"{s.share:.0%}", s.n) for s in (expected.before, expected.since, expected.latest)
    ]


def test_a_bad_day_or_an_unknown_rep_is_a_styled_page(web: Web) -> None:
    client = web.browser("manager_a")
    bad = client.get(f"/coach/{web.rep_a}", params={"as_of": "June"})
    assert bad.status_code == 422 and "as_of=&#39;June&#39; is not a date like" in bad.text
    assert "<!doctype html>" in bad.text.lower()
    assert client.get("/coach/NO-SUCH-REP").status_code == 404
    assert client.get("/coach", params={"as_of": "June"}).status_code == 422
