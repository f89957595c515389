"""Writing a capture batch: activities, participants, suggestions, buyer actions, new contacts,
dropped and quarantined items — buffered, then written with one bulk statement per table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from rightturn.associate.engine import Decision, NewContact
from rightturn.associate.identity import IdentityIndex
from rightturn.associate.writes import suggestion_rows, write_new_contacts
from rightturn.capture.items import Captured, Rejected
from rightturn.crm.model import (
    Activity,
    ActivityParticipant,
    BuyerAction,
    DroppedItem,
    QuarantineItem,
    Suggestion,
)
from rightturn.crm.store import chunks

CALL_BACK_WITHIN = timedelta(days=14)


def _cut(text: str | None, size: int) -> str | None:
    return text if text is None or len(text) <= size else text[: size - 1] + "…"


class ActivityWriter:
    """Buffers one batch and writes it in foreign-key order on :meth:`flush`."""

    def __init__(self, session: Session, index: IdentityIndex) -> None:
        self.s = session
        self.index = index
        self.activities: list[dict[str, Any]] = []
        self.pending: list[tuple[Captured, Decision]] = []
        self.contacts: dict[str, NewContact] = {}
        self.dropped: list[dict[str, Any]] = []
        self.rejected: list[Rejected] = []
        self.merges: list[tuple[int, Captured]] = []

    # --- buffering ------------------------------------------------------------------------

    def add(
        self,
        item: Captured,
        decision: Decision,
        thread_id: str,
        fingerprint: str | None,
        subject_key: str | None,
    ) -> None:
        for new in decision.new_contacts:
            self.contacts.setdefault(new.contact_id, new)
        self.activities.append(
            {
                "kind": item.kind,
                "direction": decision.direction,
                "occurred_at": item.occurred_at,
                "rep_id": decision.rep_id,
                "subject": _cut(item.subject, 1000),
                "body_excerpt": item.body_excerpt,
                "duration_s": item.duration_s,
                "outcome": item.outcome,
                "thread_id": _cut(thread_id, 1000),
                "subject_key": subject_key,
                "source": item.source,
                "source_id": item.source_id,
                "fingerprint": fingerprint,
                "contact_id": decision.contact_id,
                "account_id": decision.account_id,
                "opportunity_id": decision.opportunity_id,
                "status": decision.status,
                "confidence": decision.confidence,
                "reason": decision.reason,
                "manual": False,
            }
        )
        self.pending.append((item, decision))

    def drop(self, item: Captured, reason: str, detail: str, *, rep_id: str | None) -> None:
        self.dropped.append(
            {
                "kind": item.kind,
                "source": item.source,
                "source_id": item.source_id,
                "position": _cut(item.position, 1000),
                "reason": reason,
                "detail": detail,
                "occurred_at": item.occurred_at,
                "rep_id": rep_id,
            }
        )

    def quarantine(self, item: Rejected) -> None:
        self.rejected.append(item)

    def merge_participants(self, activity_id: int, item: Captured) -> None:
        self.merges.append((activity_id, item))

    # --- writing --------------------------------------------------------------------------

    def flush(self) -> None:
        self._write_contacts()
        ids = self._write_activities()
        self._write_participants(ids)
        self._write_buyer_actions(ids)
        self._write_merges()
        for part in chunks(self.dropped):
            self.s.execute(insert(DroppedItem.table()), part)
        self._write_quarantine()

    def _write_contacts(self) -> None:
        write_new_contacts(self.s, self.contacts.values())

    def _write_activities(self) -> list[int]:
        """Insert the new activities and return their ids, in buffer order.

        Core executemany without RETURNING, then one query for the ids: several times faster
        than the ORM's per-row bulk path, which dominated capture time.
        """
        table = Activity.table()
        for part in chunks(self.activities):
            self.s.execute(insert(table), part)
        keys = [(row["kind"], row["source_id"]) for row in self.activities]
        wanted = set(keys)
        ids: dict[tuple[str, str], int] = {}
        for chunk in chunks(sorted({sid for _, sid in keys})):
            query = select(table.c.kind, table.c.source_id, table.c.activity_id).where(
                table.c.source_id.in_(chunk)
            )
            ids.update({(k, sid): i for k, sid, i in self.s.execute(query) if (k, sid) in wanted})
        return [ids[key] for key in keys]

    def _write_participants(self, ids: list[int]) -> None:
        rows, suggestions = [], []
        for activity_id, (_item, decision) in zip(ids, self.pending, strict=True):
            seen = set()
            for party, rep, contact in decision.participants:
                if (party.role, party.address) in seen:
                    continue
                seen.add((party.role, party.address))
                rows.append(_participant(activity_id, party, rep, contact))
            suggestions += suggestion_rows(activity_id, decision)
        for part in chunks(rows):
            self.s.execute(insert(ActivityParticipant.table()), part)
        for part in chunks(suggestions):
            self.s.execute(insert(Suggestion.table()), part)

    def _write_buyer_actions(self, ids: list[int]) -> None:
        """Replies, call-backs and accepted meetings: the buyer responses practices earn."""
        actions: list[dict[str, Any]] = []
        replies: dict[str, list[tuple[int, Captured, Decision]]] = {}
        calls: list[tuple[int, Captured, Decision]] = []
        for activity_id, (item, decision) in zip(ids, self.pending, strict=True):
            if decision.direction != "inbound" and item.kind != "meeting":
                continue
            if item.kind == "email" and item.in_reply_to:
                replies.setdefault(item.in_reply_to, []).append((activity_id, item, decision))
            elif item.kind == "call" and decision.contact_id:
                calls.append((activity_id, item, decision))
            elif item.kind == "meeting" and any(
                p.role == "attendee" and p.response == "accepted" and contact
                for p, rep, contact in decision.participants
            ):
                actions.append(
                    _action("meeting_accepted", activity_id, activity_id, item, decision)
                )
        for chunk in chunks(sorted(replies)):
            query = select(Activity.source_id, Activity.activity_id).where(
                Activity.kind == "email",
                Activity.direction == "outbound",
                Activity.source_id.in_(chunk),
            )
            for source_id, parent in self.s.execute(query):
                for activity_id, item, decision in replies[source_id]:
                    actions.append(_action("reply", activity_id, parent, item, decision))
        actions += self._call_backs(calls)
        for part in chunks(actions):
            self.s.execute(insert(BuyerAction.table()), part)

    def _call_backs(self, calls: list[tuple[int, Captured, Decision]]) -> list[dict[str, Any]]:
        """An inbound call from a contact the rep called (or wrote to) in the days before."""
        if not calls:
            return []
        earliest = min(item.occurred_at for _, item, _ in calls) - CALL_BACK_WITHIN
        contacts = sorted({d.contact_id for _, _, d in calls if d.contact_id})
        outbound: dict[str, list[tuple[Any, int, str | None]]] = {}
        for chunk in chunks(contacts):
            query = select(
                Activity.contact_id, Activity.occurred_at, Activity.activity_id, Activity.rep_id
            ).where(
                Activity.direction == "outbound",
                Activity.kind.in_(("call", "email")),
                Activity.contact_id.in_(chunk),
                Activity.occurred_at >= earliest,
            )
            for contact, when, ident, rep in self.s.execute(query):
                outbound.setdefault(contact, []).append((when, ident, rep))
        actions = []
        for activity_id, item, decision in calls:
            before = [
                (when, ident)
                for when, ident, rep in outbound.get(decision.contact_id or "", [])
                if item.occurred_at - CALL_BACK_WITHIN <= when < item.occurred_at
                and rep == decision.rep_id
            ]
            if before:
                actions.append(_action("call_back", activity_id, max(before)[1], item, decision))
        return actions

    def _write_merges(self) -> None:
        """The same activity seen again (a Cc'd colleague's mailbox): add who was missing."""
        if not self.merges:
            return
        ids = sorted({a for a, _ in self.merges})
        have = set()
        for chunk in chunks(ids):
            query = select(
                ActivityParticipant.activity_id,
                ActivityParticipant.role,
                ActivityParticipant.address,
            ).where(ActivityParticipant.activity_id.in_(chunk))
            have |= {tuple(r) for r in self.s.execute(query)}
        rows = []
        for activity_id, item in self.merges:
            for party in item.parties:
                key = (activity_id, party.role, party.address)
                if key in have:
                    continue
                have.add(key)
                contacts = self.index.contacts_of(party.address)
                rows.append(
                    _participant(
                        activity_id,
                        party,
                        self.index.rep_of(party.address),
                        contacts[0] if len(contacts) == 1 else None,
                    )
                )
        for part in chunks(rows):
            self.s.execute(insert(ActivityParticipant.table()), part)

    def _write_quarantine(self) -> None:
        if not self.rejected:
            return
        keys = {(r.kind, r.source, r.position): r for r in self.rejected}
        have: set[tuple[Any, ...]] = set()
        for chunk in chunks(list(keys)):
            query = select(
                QuarantineItem.kind, QuarantineItem.source, QuarantineItem.position
            ).where(
                tuple_(QuarantineItem.kind, QuarantineItem.source, QuarantineItem.position).in_(
                    chunk
                )
            )
            have |= {tuple(r) for r in self.s.execute(query)}
        rows = [
            {"kind": r.kind, "source": _cut(r.source, 1000), "position": _cut(r.position, 200),
             "reason": r.reason, "excerpt": r.excerpt}
            for key, r in keys.items()
            if key not in have
        ]  # fmt: skip
        for part in chunks(rows):
            self.s.execute(insert(QuarantineItem.table()), part)


def _participant(
    activity_id: int, party: Any, rep: str | None, contact: str | None
) -> dict[str, Any]:
    return {
        "activity_id": activity_id,
        "role": party.role,
        "address": _cut(party.address, 320),
        "name": _cut(party.name, 300),
        "rep_id": rep,
        "contact_id": contact,
        "response": party.response,
    }


def _action(
    kind: str, activity_id: int, responds_to: int, item: Captured, decision: Decision
) -> dict[str, Any]:
    return {
        "kind": kind,
        "occurred_at": item.occurred_at,
        "rep_id": decision.rep_id,
        "contact_id": decision.contact_id,
        "account_id": decision.account_id,
        "opportunity_id": decision.opportunity_id,
        "activity_id": activity_id,
        "responds_to_activity_id": responds_to,
    }
