"""Writing what association decided that is not the activity row itself: the contacts it
created from new addresses, and the ranked suggestions of an activity a person must decide.
Capture and re-association both write them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from rightturn.associate.engine import Decision, NewContact
from rightturn.crm.model import Contact, ContactEmail
from rightturn.crm.store import chunks


def write_new_contacts(session: Session, contacts: Iterable[NewContact]) -> None:
    """Insert contacts association created from new addresses, unless already stored."""
    new = {c.contact_id: c for c in contacts}
    if not new:
        return
    for ids in chunks(sorted(new)):
        for have in session.scalars(select(Contact.contact_id).where(Contact.contact_id.in_(ids))):
            new.pop(have, None)
    rows = list(new.values())
    for part in chunks(rows):
        session.execute(
            insert(Contact.table()),
            [{"contact_id": c.contact_id, "account_id": c.account_id, "name": c.name,
              "auto_created": True} for c in part],
        )  # fmt: skip
        session.execute(
            insert(ContactEmail.table()),
            [{"contact_id": c.contact_id, "email": c.address} for c in part],
        )


def suggestion_rows(activity_id: int, decision: Decision) -> list[dict[str, Any]]:
    """The ranked suggestions of a decision as rows of ``association_suggestions``."""
    return [
        {"activity_id": activity_id, "opportunity_id": opp_id, "rank": rank, "score": score,
         "reason": reason}
        for rank, (opp_id, score, reason) in enumerate(decision.suggestions, start=1)
    ]  # fmt: skip
