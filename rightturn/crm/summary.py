"""What is in a database, at a glance: the numbers ``rightturn demo`` and ``summary`` print."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from rightturn.crm.model import (
    Account,
    Activity,
    Contact,
    Opportunity,
    QuarantineItem,
    Rep,
    Team,
)
from rightturn.crm.stages import stage_order
from rightturn.crm.store import Store


@dataclass(frozen=True)
class StageLine:
    stage: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class TeamLine:
    """A team as ``summary`` lists it; ``reps`` counts its reps, not its manager."""

    team_id: str
    name: str
    manager: str | None
    reps: int


@dataclass(frozen=True)
class OrgSummary:
    """Counts of what is stored and the headline pipeline numbers.

    ``win_rate`` is won / (won + lost) by count, or None before any deal has closed.
    """

    reps: int
    managers: int
    teams: int
    accounts: int
    contacts: int
    opportunities: int
    open: int
    won: int
    lost: int
    won_value: Decimal
    open_value: Decimal
    activities: int
    quarantined: int
    open_by_stage: list[StageLine] = field(default_factory=list)
    team_lines: list[TeamLine] = field(default_factory=list)

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return self.won / closed if closed else None


def org_summary(store: Store) -> OrgSummary:
    """Count what the database holds and total its pipeline."""
    count = func.count
    managers = select(Rep.manager_id).where(Rep.manager_id.is_not(None)).distinct()
    with store.session() as s:
        n_reps = s.scalar(select(count()).select_from(Rep)) or 0
        n_managers = s.scalar(select(count()).where(Rep.rep_id.in_(managers))) or 0
        status = s.execute(
            select(
                count(),
                func.sum(case((Opportunity.status == "open", 1), else_=0)),
                func.sum(case((Opportunity.status == "won", 1), else_=0)),
                func.sum(case((Opportunity.status == "lost", 1), else_=0)),
                func.sum(case((Opportunity.status == "won", Opportunity.amount), else_=0)),
                func.sum(case((Opportunity.status == "open", Opportunity.amount), else_=0)),
            )
        ).one()
        by_stage = {
            stage: StageLine(stage, n, Decimal(amount or 0))
            for stage, n, amount in s.execute(
                select(Opportunity.stage, count(), func.sum(Opportunity.amount))
                .where(Opportunity.status == "open")
                .group_by(Opportunity.stage)
            )
        }
        order = {stage: i for i, stage in enumerate(stage_order(s))}
        totals = {
            model: s.scalar(select(count()).select_from(model)) or 0
            for model in (Team, Account, Contact, Activity, QuarantineItem)
        }
        team_lines = _team_lines(s, managers)
    return OrgSummary(
        reps=n_reps - n_managers,
        managers=n_managers,
        teams=totals[Team],
        accounts=totals[Account],
        contacts=totals[Contact],
        opportunities=status[0],
        open=int(status[1] or 0),
        won=int(status[2] or 0),
        lost=int(status[3] or 0),
        won_value=Decimal(status[4] or 0),
        open_value=Decimal(status[5] or 0),
        activities=totals[Activity],
        quarantined=totals[QuarantineItem],
        open_by_stage=sorted(
            by_stage.values(), key=lambda line: (order.get(line.stage, 99), line.stage)
        ),
        team_lines=team_lines,
    )


def _team_lines(s: Session, managers: Select[tuple[str | None]]) -> list[TeamLine]:
    """Every team by name, with its manager's name (their rep row's, else the one imported)
    and its reps, counted as ``reps`` is: rep rows that manage nobody."""
    manager, member = aliased(Rep), aliased(Rep)
    reps = func.count(member.rep_id)
    rows = s.execute(
        select(Team.team_id, Team.name, manager.name, Team.manager_name, Team.manager_rep_id, reps)
        .outerjoin(manager, manager.rep_id == Team.manager_rep_id)
        .outerjoin(member, (member.team_id == Team.team_id) & member.rep_id.not_in(managers))
        .group_by(Team.team_id, Team.name, manager.name, Team.manager_name, Team.manager_rep_id)
        .order_by(func.lower(Team.name), Team.team_id)
    )
    return [
        TeamLine(team_id, name, rep_name or imported or rep_id, n)
        for team_id, name, rep_name, imported, rep_id, n in rows
    ]
