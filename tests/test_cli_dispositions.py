"""``rightturn disposition`` as a user runs it: what it prints, and the errors it explains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from rightturn.crm.model import Disposition
from rightturn.crm.store import Store
from tests.process.test_today import org  # noqa: F401  (fixture)
from tests.test_cli import run


def test_disposition_prints_what_it_recorded_by_names(org: Store, db_url: str) -> None:  # noqa: F811
    code, out = run(
        "disposition", "disqualify", "--rep", "Ann Lee", "--contact", "C3",
        "--reason", "no budget", "--by", "ann@example.com", "--db", db_url,
    )  # fmt: skip
    assert code == 0, out
    assert "Recorded disqualify of contact Eve Fresh for Ann Lee (reason: no budget)" in out
    assert "by ann@example.com" in out

    later = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    code, out = run(
        "disposition", "postpone", "--rep", "R1", "--opportunity", "O1", "--on", later,
        "--db", db_url,
    )  # fmt: skip
    assert code == 0, out
    assert f"Recorded postpone of deal BIG deal for Ann Lee (until {later})" in out
    with org.session() as s:
        rows = s.execute(select(Disposition.kind, Disposition.on_date)).all()
    assert [(k, d and d.isoformat()) for k, d in rows] == [
        ("disqualify", None),
        ("postpone", later),
    ]


def test_disposition_errors_say_what_to_give(org: Store, db_url: str) -> None:  # noqa: F811
    code, out = run(
        "disposition", "disqualify", "--rep", "R1", "--contact", "C3", "--reason", "meh",
        "--db", db_url,
    )  # fmt: skip
    assert code == 2 and "'meh' is not one of: no budget" in out
    code, out = run("disposition", "postpone", "--rep", "R1", "--contact", "C3", "--on", "soon",
                    "--db", db_url)  # fmt: skip
    assert code == 2 and "--on 'soon' is not a date" in out
    code, out = run("disposition", "archive", "--rep", "R1", "--db", db_url)
    assert code == 2 and "give exactly one" in out
    code, out = run("disposition", "archive", "--rep", "R1", "--contact", "C9", "--db", db_url)
    assert code == 2 and "no contact 'C9'" in out
    with org.session() as s:
        assert s.scalar(select(Disposition.id)) is None
