"""Every list of deals and activities a person reads names things: deal, account, owner, rep,
contact; ids stay in links. Opportunities open on the open deals closing soonest, closed stages
come last, long lists page and a page past the end says so."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from rightturn.analytics.report import metrics_report
from rightturn.crm.model import Account, Activity, Contact, Opportunity, Rep
from rightturn.crm.scope import Scope
from rightturn.crm.stages import closed_rank
from tests.web.conftest import END, Web

# Builds or reads whole orgs: outside the fast loop (`pytest -m "not slow and not postgres"`).
pytestmark = pytest.mark.slow

AS_OF = END.isoformat()
# The fixture org's id shapes (simulate's default scheme): reps R…, managers M…, accounts A…,
# contacts C…, opportunities O…, calls CL…
BARE_ID = re.compile(r"(?:[RMACO]|CL)\d+")


@dataclass
class Row:
    attrs: dict[str, str]
    cells: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    classes: list[str] = field(default_factory=list)  # each cell's class


class Tables(HTMLParser):
    """The body rows of every table on a page, by the table's id."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[Row]] = {}
        self._table: str | None = None
        self._head = False
        self._row: Row | None = None
        self._cell: list[str] | None = None
        self._link: tuple[str, list[str]] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._table = a.get("id", "")
            self.tables.setdefault(self._table, [])
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._table is not None and not self._head:
            self._row = Row(a)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._row.classes.append(a.get("class", ""))
        elif tag == "a" and self._row is not None:
            self._link = (a.get("href", ""), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._head = False
        elif tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "a" and self._row is not None and self._link is not None:
            self._row.links.append((self._link[0], " ".join("".join(self._link[1]).split())))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._link is not None:
            self._link[1].append(data)


def _bare_ids(rows: list[Row]) -> list[str]:
    texts = [c for r in rows for c in r.cells] + [t for r in rows for _, t in r.links]
    return [t for t in texts if BARE_ID.fullmatch(t)]


def _deal_rows(page: str) -> dict[str, list[Row]]:
    """The tables whose rows are deals (the one deal-row macro marks each row with its id)."""
    return {
        name: rows
        for name, rows in Tables(page).tables.items()
        if rows and all("data-opportunity-id" in r.attrs for r in rows)
    }


def _crm(web: Web) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Each opportunity's (name, account name, owner name) in the database."""
    with web.store.session() as s:
        return {
            oid: (name, account, owner)
            for oid, name, account, owner in s.execute(
                select(Opportunity.opportunity_id, Opportunity.name, Account.name, Rep.name)
                .outerjoin(Account, Account.account_id == Opportunity.account_id)
                .outerjoin(Rep, Rep.rep_id == Opportunity.owner_rep_id)
            )
        }


DEAL_PAGES = [
    ("/", {"as_of": AS_OF}, {"quiet-deals"}),
    ("/pipeline", {"as_of": AS_OF}, {"flag-deals-no_buyer_activity", "flag-deals-single_contact"}),
    ("/velocity", {"as_of": AS_OF}, {"stalled-deals"}),
    ("/waterfall", {"as_of": AS_OF, "period": "M"}, {"bar-deals-start", "bar-deals-won"}),
    ("/waterfall", {"as_of": AS_OF}, {"bar-deals-created", "bar-deals-lost"}),
    ("/opportunities", {}, {"opportunities"}),
    ("/opportunities", {"status": "all", "sort": "amount", "desc": "1"}, {"opportunities"}),
    ("/pipeline/flags/no_buyer_activity", {"as_of": AS_OF}, {"deals"}),
    ("/velocity/stalled", {"as_of": AS_OF}, {"deals"}),
    ("/waterfall/bars/won", {"as_of": AS_OF}, {"deals"}),
    ("/quiet-deals", {"as_of": AS_OF}, {"deals"}),
]


def test_the_fixture_ids_have_the_shapes_the_bare_id_check_looks_for(web: Web) -> None:
    with web.store.session() as s:
        for column in (Opportunity.opportunity_id, Account.account_id, Rep.rep_id):
            ids = list(s.scalars(select(column).limit(20)))
            assert ids and all(BARE_ID.fullmatch(i) for i in ids), ids


@pytest.mark.parametrize(("path", "params", "tables"), DEAL_PAGES)
def test_every_deal_list_names_the_deal_account_and_owner_as_the_database_does(
    web: Web, path: str, params: dict[str, str], tables: set[str]
) -> None:
    page = web.browser("admin").get(path, params=params)
    assert page.status_code == 200, page.text[:300]
    lists = _deal_rows(page.text)
    assert tables <= set(lists), (tables, set(lists))
    crm = _crm(web)
    for name, rows in lists.items():
        assert not _bare_ids(rows), (name, _bare_ids(rows)[:5])
        for row in rows:
            oid = row.attrs["data-opportunity-id"]
            deal, account, owner = crm[oid]
            assert (f"/opportunities/{oid}", deal) in row.links, (name, oid, row.links)
            assert row.cells[1] == account, (name, oid)
            rep_id = next(h for h, _ in row.links if h.startswith("/reps/"))[len("/reps/") :]
            assert (f"/reps/{rep_id}", owner) in row.links, (name, oid)


def test_a_reps_own_deal_lists_leave_the_owner_out(web: Web) -> None:
    client = web.browser("rep_a")
    crm = _crm(web)
    for path, table in ((f"/reps/{web.rep_a}", "rep-opportunities"), ("/my/deals", "my-deals")):
        rows = _deal_rows(client.get(path, params={"as_of": AS_OF}).text)[table]
        assert rows and not _bare_ids(rows), path
        assert not any(h.startswith("/reps/") for r in rows for h, _ in r.links), path
        for row in rows:
            deal, account, _ = crm[row.attrs["data-opportunity-id"]]
            assert row.links[0][1] == deal and row.cells[1] == account, path


def test_long_lists_show_the_largest_and_link_to_all_of_them_paged(web: Web) -> None:
    client = web.browser("admin")
    flags = metrics_report(web.store, Scope.everything(), as_of=END, sections=("integrity",))
    flag, found = max(flags["integrity"].items(), key=lambda kv: kv[1]["count"])
    assert found["count"] > 50, "the fixture needs a flag with more deals than a page lists"
    pipeline = client.get("/pipeline", params={"as_of": AS_OF}).text
    listed = _deal_rows(pipeline)[f"flag-deals-{flag}"]
    assert len(listed) == 50
    assert f'href="/pipeline/flags/{flag}?as_of={AS_OF}"' in pipeline
    assert f"The 50 largest of {found['count']:,}" in pipeline
    # The full list, a page at a time, is every flagged deal once, largest first.
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get(f"/pipeline/flags/{flag}", params={"as_of": AS_OF, "offset": offset})
        assert page.status_code == 200
        seen += [r.attrs["data-opportunity-id"] for r in _deal_rows(page.text)["deals"]]
        following = re.search(r'href="([^"]*offset=(\d+)[^"]*)">Next', page.text)
        offset = int(following.group(2)) if following else None
    expected = metrics_report(
        web.store, Scope.everything(), as_of=END, sections=("integrity",), deals_per_flag=None
    )["integrity"][flag]["deals"]
    assert seen == [d["opportunity_id"] for d in expected]


def test_opportunities_open_on_open_deals_closing_soonest(web: Web) -> None:
    client = web.browser("admin")
    page = client.get("/opportunities")
    rows = _deal_rows(page.text)["opportunities"]
    with web.store.session() as s:
        expected = list(
            s.execute(
                select(Opportunity.opportunity_id, Opportunity.close_date)
                .where(Opportunity.status == "open")
                .order_by(Opportunity.close_date.asc().nulls_last(), Opportunity.opportunity_id)
                .limit(50)
            )
        )
        statuses = dict(s.execute(select(Opportunity.opportunity_id, Opportunity.status)).all())
        total_open = sum(1 for v in statuses.values() if v == "open")
    shown = [r.attrs["data-opportunity-id"] for r in rows]
    assert shown == [oid for oid, _ in expected]
    assert {statuses[oid] for oid in shown} == {"open"}
    assert f'Open opportunities <span class="count">{total_open:,}</span>' in page.text
    assert '<option value="open" selected>Open</option>' in page.text
    # "All statuses" is an explicit choice that still works.
    everything = client.get("/opportunities", params={"status": "all"}).text
    assert f'Opportunities <span class="count">{len(statuses):,}</span>' in everything
    assert '<option value="all" selected>All statuses</option>' in everything
    bad = client.get("/opportunities", params={"status": "maybe"})
    assert bad.status_code == 422 and "status" in bad.text


def test_closed_stages_come_last_in_the_stage_filter(web: Web) -> None:
    page = web.browser("admin").get("/opportunities").text
    menu = re.search(r'<select name="stage">(.*?)</select>', page, re.S).group(1)
    stages = [htmllib.unescape(s) for s in re.findall(r"<option[^>]*>([^<]+)</option>", menu)][1:]
    with web.store.session() as s:
        won = set(s.scalars(select(Opportunity.stage).where(Opportunity.status == "won")))
    ranks = [closed_rank(stage, won) for stage in stages]
    assert ranks == sorted(ranks) and ranks[-2:] == [1, 2], stages


def test_closed_deals_say_their_outcome_once_and_one_column_sorts_with_one_arrow(
    web: Web,
) -> None:
    page = web.browser("admin").get("/opportunities", params={"status": "all"})
    head = re.search(r"<thead>(.*?)</thead>", page.text, re.S).group(1)
    assert ">Status<" not in head
    assert head.count("aria-sort=") == 1 and 'aria-sort="ascending"' in head
    assert "▲" not in page.text and "▼" not in page.text  # the stylesheet draws the one arrow
    css = web.client().get("/static/app.css").text
    assert 'th[aria-sort="ascending"]::after' in css
    rows = _deal_rows(page.text)["opportunities"]
    with web.store.session() as s:
        status = dict(s.execute(select(Opportunity.opportunity_id, Opportunity.status)).all())
    closed = [r for r in rows if status[r.attrs["data-opportunity-id"]] != "open"]
    assert closed, "the earliest close dates are closed deals"
    for row in closed:
        outcome = status[row.attrs["data-opportunity-id"]]
        stage, css_class = row.cells[3], row.classes[3]
        assert css_class == outcome  # won green, lost red
        assert stage.lower().count(outcome) == 1, stage  # "Closed Won", never "Closed Won (won)"


def test_activities_say_who_with_whom_and_what_a_call_came_to(web: Web) -> None:
    client = web.browser("admin")
    for params in ({}, {"kind": "call"}):
        page = client.get("/activities", params=params)
        assert page.status_code == 200
        rows = Tables(page.text).tables["activities"]
        assert rows and not _bare_ids(rows), _bare_ids(rows)[:5]
        ids = [int(r.attrs["data-activity-id"]) for r in rows]
        with web.store.session() as s:
            stored = {
                a.activity_id: (a, rep, contact, title, account, deal)
                for a, rep, contact, title, account, deal in s.execute(
                    select(Activity, Rep.name, Contact.name, Contact.title, Account.name)
                    .add_columns(Opportunity.name)
                    .outerjoin(Rep, Rep.rep_id == Activity.rep_id)
                    .outerjoin(Contact, Contact.contact_id == Activity.contact_id)
                    .outerjoin(Account, Account.account_id == Activity.account_id)
                    .outerjoin(Opportunity, Opportunity.opportunity_id == Activity.opportunity_id)
                    .where(Activity.activity_id.in_(ids))
                )
            }
        header = re.search(r"<thead>(.*?)</thead>", page.text, re.S).group(1)
        columns = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<th[^>]*>(.*?)</th>", header)]
        at = {name: columns.index(name) for name in ("Rep", "Contact", "Account", "Opportunity")}
        at["Subject"] = columns.index("Subject")
        for row in rows:
            a, rep, contact, title, account, deal = stored[int(row.attrs["data-activity-id"])]
            assert row.cells[at["Rep"]] == (rep or "—")
            assert row.cells[at["Contact"]] == (" ".join(filter(None, (contact, title))) or "—")
            assert row.cells[at["Account"]] == (account or "—")
            assert row.cells[at["Opportunity"]] == (deal or "—")
            if a.kind == "call":
                said = row.cells[at["Subject"]]
                outcome = (a.outcome or "call").replace("_", " ").capitalize()
                assert said.startswith(outcome), said
                if a.duration_s and a.duration_s >= 60:
                    assert f" · {round(a.duration_s / 60, 1)} min" in said, said
                assert said != "—"
    # The last page read was the calls: each says its outcome and length, never "—".
    said = [row.cells[at["Subject"]] for row in rows]
    assert all(re.match(r"(Connected|Voicemail|No answer)( · [\d.]+ (min|s))?", s) for s in said)
    assert any(re.match(r"(Connected|Voicemail|No answer) · [\d.]+ (min|s)$", s) for s in said)


def test_the_api_names_an_activitys_rep_contact_account_and_deal(web: Web) -> None:
    items = web.client("admin").get("/api/v1/activities", params={"limit": 50}).json()["items"]
    with web.store.session() as s:
        for item in items:
            if item["rep_id"]:
                assert item["rep"] == s.get(Rep, item["rep_id"]).name
            if item["contact_id"]:
                contact = s.get(Contact, item["contact_id"])
                assert (item["contact"], item["contact_title"]) == (contact.name, contact.title)
            if item["opportunity_id"]:
                assert item["opportunity"] == s.get(Opportunity, item["opportunity_id"]).name
            if item["account_id"]:
                assert item["account"] == s.get(Account, item["account_id"]).name
    assert any(i["opportunity"] for i in items) and any(i["contact"] for i in items)


@pytest.mark.parametrize(
    ("path", "noun"),
    [
        ("/opportunities", "opportunities"),
        ("/pipeline/flags/no_buyer_activity", "deals"),
        ("/quiet-deals", "deals"),
    ],
)
def test_a_page_past_the_end_says_so_and_links_to_the_last(web: Web, path: str, noun: str) -> None:
    client = web.browser("admin")
    first = client.get(path, params={"as_of": AS_OF})
    total = int(
        re.search(r'<span class="count">([\d,]+)</span>', first.text).group(1).replace(",", "")
    )
    assert total > 0
    page = client.get(path, params={"as_of": AS_OF, "offset": total + 500})
    assert page.status_code == 200
    last = (total - 1) // 50 * 50
    assert (
        f"No {noun} on this page: there are {total:,}, the last page starts at {last:,}."
        in page.text
    )
    link = htmllib.unescape(re.search(r'<a href="([^"]+)">Go to the last page', page.text).group(1))
    shown = client.get(link)
    rows = [r for rows in _deal_rows(shown.text).values() for r in rows]
    assert len(rows) == total - last and "No " + noun + " on this page" not in shown.text


@pytest.mark.parametrize("offset", ["-1", "abc", "1.5", str(2**40)])
def test_a_bad_offset_is_a_styled_error_page_naming_it(web: Web, offset: str) -> None:
    client = web.browser("manager_a")
    for path in ("/opportunities", "/velocity/stalled", "/waterfall/bars/won", "/quiet-deals"):
        answer = client.get(path, params={"offset": offset})
        assert answer.status_code == 422, (path, offset)
        assert answer.headers["content-type"].startswith("text/html")
        assert "offset" in answer.text and '{"detail"' not in answer.text


def test_an_unknown_flag_or_bar_is_not_found(web: Web) -> None:
    client = web.browser("manager_a")
    for path in ("/pipeline/flags/nonsense", "/waterfall/bars/sideways"):
        answer = client.get(path)
        assert answer.status_code == 404 and "Not found" in answer.text
