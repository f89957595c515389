"""How many wrong passwords a sign-in may follow, counted in the database.

Three limits, each over the last :data:`WINDOW`, so one person's typos never lock out another:

* one email from one address (:data:`PAIR_LIMIT`): the usual guesser, stopped quickly;
* one email from any address (:data:`ACCOUNT_LIMIT`): a guesser spread over many addresses;
* any email from one address (:data:`ADDRESS_LIMIT`): one address trying many accounts; set well
  above the pair limit because an office shares one address.

A browser the user has signed in from before (a *known browser*, its cookie's SHA-256 stored)
is exempt from the account and address limits: someone guessing elsewhere, or a colleague's
typos at the same office, cannot keep the owner out. Failures live in the database, so every
server process and ``rightturn users unlock`` see the same counts.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from rightturn.crm.model import KnownBrowser, SignInFailure, User
from rightturn.crm.store import Store
from rightturn.crm.types import utcnow
from rightturn.errors import ParseError

__all__ = [
    "ACCOUNT_LIMIT",
    "ADDRESS_LIMIT",
    "PAIR_LIMIT",
    "WINDOW",
    "SignInLimits",
    "failed",
    "retry_after",
    "succeeded",
    "unlock",
]

PAIR_LIMIT = 5
ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 30
WINDOW = timedelta(minutes=15)
_KEPT = timedelta(days=1)  # failures older than this are deleted as new ones arrive


@dataclass(frozen=True)
class SignInLimits:
    """The three limits and their window (tests and deployments may tighten them)."""

    pair: int = PAIR_LIMIT
    account: int = ACCOUNT_LIMIT
    address: int = ADDRESS_LIMIT
    window: timedelta = WINDOW


def _normal(email: str) -> str:
    return email.strip().lower()[:320]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _known(s: Session, email: str, browser: str | None) -> bool:
    if not browser:
        return False
    found = s.scalar(
        select(KnownBrowser.user_id)
        .join(User, User.user_id == KnownBrowser.user_id)
        .where(KnownBrowser.token_hash == _digest(browser), User.email == email)
    )
    return found is not None


def _wait(s: Session, where: object, limit: int, window: timedelta, now: datetime) -> float:
    """Seconds until fewer than ``limit`` failures matching ``where`` fall in the window."""
    times = s.scalars(
        select(SignInFailure.at)
        .where(where, SignInFailure.at > now - window)  # type: ignore[arg-type]
        .order_by(SignInFailure.at.desc())
        .limit(limit)
    ).all()
    if len(times) < limit:
        return 0.0
    return (times[-1] + window - now).total_seconds()


def retry_after(
    store: Store,
    address: str,
    email: str,
    *,
    browser: str | None = None,
    limits: SignInLimits = SignInLimits(),
    now: datetime | None = None,
) -> int:
    """Seconds before ``email`` may try to sign in from ``address`` (0: now).

    ``browser`` is the known-browser cookie the request carries, if any.
    """
    email, now = _normal(email), now or utcnow()
    with store.session() as s:
        checks: list[tuple[object, int]] = [
            (and_(SignInFailure.email == email, SignInFailure.address == address), limits.pair)
        ]
        if not _known(s, email, browser):
            checks += [
                (SignInFailure.email == email, limits.account),
                (SignInFailure.address == address, limits.address),
            ]
        wait = max(_wait(s, where, limit, limits.window, now) for where, limit in checks)
    return int(wait) + 1 if wait > 0 else 0


def failed(store: Store, address: str, email: str, *, now: datetime | None = None) -> None:
    """Count a wrong password (or unknown email) for ``email`` from ``address``."""
    now = now or utcnow()
    with store.session() as s:
        s.execute(delete(SignInFailure).where(SignInFailure.at < now - _KEPT))
        s.add(SignInFailure(email=_normal(email), address=address[:64], at=now))


def succeeded(
    store: Store, address: str, email: str, user_id: int, *, browser: str | None = None
) -> str:
    """Clear this address's failures for ``email`` and remember the browser as known.

    Returns the browser's known-browser token: the one it sent when it is already this
    user's, else a new one for the response to set as a cookie.
    """
    with store.session() as s:
        s.execute(
            delete(SignInFailure).where(
                SignInFailure.email == _normal(email), SignInFailure.address == address
            )
        )
        if browser and _known(s, _normal(email), browser):
            s.execute(
                update(KnownBrowser)
                .where(KnownBrowser.token_hash == _digest(browser))
                .values(last_seen_at=utcnow())
            )
            return browser
        token = secrets.token_urlsafe(32)
        s.add(KnownBrowser(token_hash=_digest(token), user_id=user_id))
        return token


def unlock(store: Store, *, email: str | None = None, address: str | None = None) -> int:
    """Forget the failed sign-ins of ``email`` and/or from ``address``; returns how many."""
    if not email and not address:
        raise ParseError("unlock needs an email or an address (--address)")
    where = []
    if email:
        where.append(SignInFailure.email == _normal(email))
    if address:
        where.append(SignInFailure.address == address)
    with store.session() as s:
        done = s.execute(delete(SignInFailure).where(*where))
        return int(done.rowcount or 0)  # type: ignore[attr-defined]
