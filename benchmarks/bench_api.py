"""API and panel latency: p50/p95 of the REST API and the panel's pages on a large database.

    python benchmarks/bench_api.py --db URL [--requests 30] [--port 0]
    python benchmarks/bench_api.py --org DIR [--no-postgres] [--requests 30] [--port 0]

``--db`` measures an already populated database (it must be at the current schema: run
``rightturn init --db URL`` on a copy first). ``--org`` takes a simulated org folder
(``rightturn simulate --out DIR``), imports its CRM and captures it into a fresh SQLite database
in a temporary folder and, unless ``--no-postgres``, into a throwaway PostgreSQL schema, then
measures both.

Three users are created (or their passwords reset) in the database: an admin, the manager of the
largest team and that team's busiest rep. The server runs as ``rightturn serve`` in a child
process; each role then sends sequential keep-alive requests (after two warm-up ones) to each
endpoint. The home and rep pages are asked ``as_of`` the day of the newest activity, so their
weekly windows hold data whatever today's date. Prints a table and the worst p95 against the
300 ms target; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from pgschema import temp_schema
from sqlalchemy import delete, func, select

from rightturn.crm.model import Activity, ApiToken, Opportunity, Rep, User
from rightturn.crm.store import Store, redact
from rightturn.crm.users import add_user, issue_token

TARGET_MS = 300.0
WARM_UP = 2
TOKEN_LABEL = "bench_api"


@dataclass(frozen=True)
class Role:
    name: str  # admin, manager, rep
    email: str
    password: str
    token: str


@dataclass(frozen=True)
class Subjects:
    """What the requests ask about: a rep, an opportunity and a day every role may see."""

    team_id: str
    team_reps: int
    rep_id: str
    rep_activities: int
    opportunity_id: str
    opportunity_activities: int
    as_of: str  # the day of the newest activity
    roles: list[Role]


# --- the database --------------------------------------------------------------------------


def describe(store: Store) -> str:
    with store.session() as s:
        reps = s.scalar(select(func.count()).select_from(Rep)) or 0
        opps = s.scalar(select(func.count()).select_from(Opportunity)) or 0
        acts = s.scalar(select(func.count()).select_from(Activity)) or 0
    return f"{reps:,} reps, {opps:,} opportunities, {acts:,} activities"


def prepare(store: Store) -> Subjects:
    """Pick the team, rep and opportunity; create the three users and give each a token."""
    with store.session() as s:
        team = s.execute(
            select(Rep.team_id, func.count())
            .where(Rep.team_id.is_not(None))
            .group_by(Rep.team_id)
            .order_by(func.count().desc(), Rep.team_id)
            .limit(1)
        ).first()
        if team is None:
            raise SystemExit("the database has no team with reps: import a CRM first")
        team_id, team_reps = team
        members = list(s.scalars(select(Rep.rep_id).where(Rep.team_id == team_id)))
        busiest = s.execute(
            select(Activity.rep_id, func.count())
            .where(Activity.rep_id.in_(members))
            .group_by(Activity.rep_id)
            .order_by(func.count().desc(), Activity.rep_id)
            .limit(1)
        ).first()
        if busiest is None:
            raise SystemExit(f"team {team_id} has no activities: capture some mail first")
        rep_id, rep_activities = busiest
        # The rep's own deal with the most activities: visible to all three roles.
        opp = s.execute(
            select(Activity.opportunity_id, func.count())
            .join(Opportunity, Opportunity.opportunity_id == Activity.opportunity_id)
            .where(Opportunity.owner_rep_id == rep_id)
            .group_by(Activity.opportunity_id)
            .order_by(func.count().desc(), Activity.opportunity_id)
            .limit(1)
        ).first()
        if opp is None:  # no activity on their deals: any deal of theirs
            first = s.scalar(
                select(Opportunity.opportunity_id)
                .where(Opportunity.owner_rep_id == rep_id)
                .order_by(Opportunity.opportunity_id)
                .limit(1)
            )
            if first is None:
                raise SystemExit(f"rep {rep_id} owns no opportunity")
            opp = (first, 0)
        newest = s.scalar(select(func.max(Activity.occurred_at)))
        as_of = str(newest)[:10]
    password = secrets.token_urlsafe(16)
    slug = team_id.lower().replace("_", "-")
    roles = []
    for name, email, extra in (
        ("admin", "bench-admin@bench.rightturn", {}),
        ("manager", f"bench-manager-{slug}@bench.rightturn", {"team": team_id}),
        ("rep", f"bench-rep-{rep_id.lower()}@bench.rightturn", {"rep_id": rep_id}),
    ):
        add_user(store, email, password, role=name, **extra)
        roles.append(Role(name, email, password, issue_token(store, email, label=TOKEN_LABEL)))
    return Subjects(team_id, team_reps, rep_id, rep_activities, opp[0], opp[1], as_of, roles=roles)


def forget_tokens(store: Store, roles: list[Role]) -> None:
    """Drop the tokens this run issued (the users stay, for the next run to reuse)."""
    with store.session() as s:
        users = select(User.user_id).where(User.email.in_([r.email for r in roles]))
        s.execute(
            delete(ApiToken).where(ApiToken.user_id.in_(users), ApiToken.label == TOKEN_LABEL)
        )


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``rightturn serve`` in a child process, stopped with Ctrl+C (SIGINT) like a person would."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        command = [sys.executable, "-m", "rightturn", "serve", "--db", url]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"the server did not answer /healthz:\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    role: str
    endpoint: str
    cold: float  # the first request: a fresh server, nothing cached
    p50: float
    p95: float
    worst: float
    size: int
    status: int


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: p95 of 30 samples is the 29th fastest."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def measure(role: str, endpoint: str, send: Callable[[], httpx.Response], n: int) -> Timing:
    start = time.perf_counter()
    response = send()
    cold = (time.perf_counter() - start) * 1000
    for _ in range(WARM_UP - 1):
        response = send()
    if response.status_code != 200:
        return Timing(
            role, endpoint, cold, 0.0, 0.0, 0.0, len(response.content), response.status_code
        )
    took = []
    for _ in range(n):
        start = time.perf_counter()
        response = send()
        took.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return Timing(
        role,
        endpoint,
        cold,
        statistics.median(took),
        percentile(took, 95),
        max(took),
        len(response.content),
        response.status_code,
    )


def page_cursor(client: httpx.Client, path: str, pages: int) -> str | None:
    """The cursor of page ``pages + 1``, following ``next_cursor`` ``pages`` times."""
    cursor = None
    for _ in range(pages):
        params = {"cursor": cursor} if cursor else {}
        cursor = client.get(path, params=params).raise_for_status().json()["next_cursor"]
        if cursor is None:
            return None
    return cursor


def sign_in(client: httpx.Client, role: Role) -> None:
    """A browser's sign-in: the form sets the CSRF cookie, the post returns the session one."""
    client.get("/login").raise_for_status()
    form = {"email": role.email, "password": role.password, "csrf_token": client.cookies["rt_csrf"]}
    response = client.post("/login", data=form, follow_redirects=False)
    if response.status_code != 303 or "rt_session" not in client.cookies:
        raise SystemExit(f"{role.name} could not sign in: HTTP {response.status_code}")


def bench_role(base: str, role: Role, sub: Subjects, n: int) -> list[Timing]:
    out: list[Timing] = []
    auth = {"Authorization": f"Bearer {role.token}"}
    with httpx.Client(base_url=base, headers=auth, timeout=120) as api:

        def get(path: str, **params: str) -> Callable[[], httpx.Response]:
            return lambda: api.get(path, params=params)

        page5 = page_cursor(api, "/api/v1/activities", 4)
        checks: list[tuple[str, Callable[[], httpx.Response]]] = [
            ("API /activities", get("/api/v1/activities")),
            ("API /activities?rep_id=", get("/api/v1/activities", rep_id=sub.rep_id)),
        ]
        if page5:
            checks.append(("API /activities page 5", get("/api/v1/activities", cursor=page5)))
        else:  # status 0: not measured
            out.append(Timing(role.name, "API /activities page 5", 0.0, 0.0, 0.0, 0.0, 0, 0))
        checks += [
            ("API /opportunities?status=open", get("/api/v1/opportunities", status="open")),
            ("API /opportunities/{id}", get(f"/api/v1/opportunities/{sub.opportunity_id}")),
            ("API /review", get("/api/v1/review")),
            ("API /reps", get("/api/v1/reps")),
        ]
        for endpoint, send in checks:
            out.append(measure(role.name, endpoint, send, n))
    with httpx.Client(base_url=base, timeout=120) as browser:
        sign_in(browser, role)

        def page(path: str, follow: bool = False, **params: str) -> Callable[[], httpx.Response]:
            return lambda: browser.get(path, params=params, follow_redirects=follow)

        for endpoint, send in (
            ("page /", page("/", as_of=sub.as_of)),
            ("page /opportunities", page("/opportunities")),
            ("page /opportunities/{id}", page(f"/opportunities/{sub.opportunity_id}")),
            ("page /reps/{id}", page(f"/reps/{sub.rep_id}", as_of=sub.as_of)),
            ("page /activities", page("/activities")),
            ("page /review", page("/review")),
            # The analytics pages replay the pipeline: cold is the first request after a start
            # or a data change, the others come from the report cache. A rep is sent on to
            # their own pages (/my/...), which are measured instead.
            ("page /reps", page("/reps", True, as_of=sub.as_of)),
            ("page /pipeline", page("/pipeline", True, as_of=sub.as_of)),
            ("page /velocity", page("/velocity", True, as_of=sub.as_of)),
            ("page /waterfall", page("/waterfall", True, as_of=sub.as_of)),
            ("page /pareto", page("/pareto", True, as_of=sub.as_of)),
        ):
            out.append(measure(role.name, endpoint, send, n))
    return out


def report(label: str, timings: list[Timing]) -> None:
    print(f"\n{label}")
    print(
        f"{'role':8} {'endpoint':34} {'cold ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'KiB':>7}"
    )
    for t in timings:
        if t.status != 200:
            why = f"HTTP {t.status}" if t.status else "fewer than 5 pages"
            print(f"{t.role:8} {t.endpoint:34} not measured: {why}")
            continue
        print(
            f"{t.role:8} {t.endpoint:34} {t.cold:8.1f} {t.p50:8.1f} {t.p95:8.1f} {t.worst:8.1f} "
            f"{t.size / 1024:7.1f}"
        )
    measured = [t for t in timings if t.status == 200]
    if not measured:
        print("nothing measured")
        return
    worst = max(measured, key=lambda t: t.p95)
    slow = sum(1 for t in measured if t.p95 >= TARGET_MS)
    verdict = "meets" if worst.p95 < TARGET_MS else f"misses ({slow} of {len(measured)} slower)"
    print(
        f"worst p95: {worst.p95:.1f} ms ({worst.role} {worst.endpoint}): "
        f"{verdict} the target p95 < {TARGET_MS:.0f} ms",
        flush=True,
    )


def bench(label: str, url: str, requests: int, port: int, work: Path) -> None:
    store = Store.open(url, create=False)
    try:
        print(f"{label}: {redact(url)}: {describe(store)}", flush=True)
        sub = prepare(store)
        print(
            f"team {sub.team_id} ({sub.team_reps} reps), rep {sub.rep_id} "
            f"({sub.rep_activities:,} activities), opportunity {sub.opportunity_id} "
            f"({sub.opportunity_activities:,} activities), as_of {sub.as_of}; "
            f"{requests} requests per endpoint after {WARM_UP} warm-up",
            flush=True,
        )
        server = Server(url, port or free_port(), work / f"serve-{label}.log")
        try:
            server.wait_ready()
            timings = []
            for role in sub.roles:
                timings += bench_role(server.base, role, sub, requests)
        finally:
            server.stop()
        forget_tokens(store, sub.roles)
        report(label, timings)
    finally:
        store.close()


def load(url: str, org: Path) -> None:
    """Import the org's CRM and capture its mail, calls and meetings into ``url``."""
    from rightturn.capture.org import org_sources
    from rightturn.capture.pipeline import capture
    from rightturn.config import Settings
    from rightturn.crm.imports import import_crm

    region = Settings(db_url=url).phone_region
    store = Store.open(url)
    try:
        start = time.perf_counter()
        import_crm(store, org / "crm", phone_region=region)
        imported = time.perf_counter() - start
        stats = capture(store, org_sources(org, region))
        print(
            f"loaded {org}: import {imported:.0f} s, capture {stats.stored:,} activities in "
            f"{time.perf_counter() - start - imported:.0f} s",
            flush=True,
        )
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", help="an already populated database URL")
    source.add_argument("--org", type=Path, help="a simulated org to import and capture first")
    parser.add_argument("--no-postgres", action="store_true", help="with --org: SQLite only")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per endpoint")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rt-bench-api-"))
    os.environ.pop("RIGHTTURN_DB", None)  # --db on the command line decides
    try:
        if args.db:
            label = args.db.split(":")[0].split("+")[0]  # sqlite, postgresql
            bench(label, args.db, args.requests, args.port, work)
            return 0
        url = f"sqlite:///{work / 'api.db'}"
        load(url, args.org)
        bench("sqlite", url, args.requests, args.port, work)
        if not args.no_postgres:
            with temp_schema() as pg:
                if pg:
                    load(pg, args.org)
                    bench("postgresql", pg, args.requests, args.port, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
