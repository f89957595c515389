"""Who may sign in, and how: users, password hashes, browser sessions, API tokens.

Passwords are hashed with argon2id (``argon2-cffi``, the reference implementation's binding);
session and API tokens are 32 random bytes, shown once and stored only as SHA-256 digests, so a
copy of the database lets nobody sign in. None of these functions logs a secret.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from rightturn.crm.identity import email_address
from rightturn.crm.model import USER_ROLES, Activity, ApiToken, Rep, Team, User, WebSession
from rightturn.crm.store import Store
from rightturn.crm.teams import find_team
from rightturn.crm.types import utcnow
from rightturn.errors import Conflict, NotFound, ParseError

__all__ = [
    "SESSION_LIFETIME",
    "Account",
    "add_user",
    "authenticate",
    "demo_users",
    "end_session",
    "issue_token",
    "list_users",
    "set_password",
    "start_session",
    "user_for_session",
    "user_for_token",
]

SESSION_LIFETIME = timedelta(hours=12)
_READABLE = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_PASSWORD = 10
# RFC 9106's second recommended argon2id setting (t=3, 64 MiB, 4 lanes), pinned so a library
# upgrade cannot change it unseen; above OWASP's floor (t=2, 19 MiB, 1 lane). A verify takes
# ~0.09 s on this machine kind (2 cores), a small part of signing in; hashes made with other
# parameters are upgraded at the next sign-in (check_needs_rehash).
_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a wrong email costs as long as a wrong
    password and the response time does not tell which accounts exist. Made on first use: a
    hash costs ~0.2 s, which every command importing this module would otherwise pay."""
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Account:
    """A signed-in user as the web layer sees them (no password hash)."""

    user_id: int
    email: str
    role: str
    rep_id: str | None
    team_id: str | None
    team: str | None = None  # the team's name, as a person reads it


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(s: Session, user: User) -> Account:
    team = s.get(Team, user.team_id) if user.team_id else None
    return Account(
        user.user_id, user.email, user.role, user.rep_id, user.team_id, team.name if team else None
    )


def add_user(
    store: Store,
    email: str,
    password: str,
    *,
    role: str,
    rep_id: str | None = None,
    team: str | None = None,
) -> Account:
    """Create a user, or reset an existing user's password, role and scope.

    ``team`` is the team's id or name as a person writes it (``East 1``, ``east-1``).
    """
    try:
        address = email_address(email, "the user's email")
    except ValueError as exc:
        raise ParseError(str(exc)) from None
    if role not in USER_ROLES:
        raise ParseError(f"role {role!r} is not one of {', '.join(USER_ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ParseError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    with store.session() as s:
        team_id = find_team(s, team).team_id if team else None
        if role == "rep":
            if not rep_id:
                raise ParseError("a rep user needs --rep-id: the rep whose records they see")
            rep = s.get(Rep, rep_id)
            if rep is None:
                raise NotFound(f"no rep {rep_id!r}: see `rightturn summary` for the reps")
            team_id = team_id or rep.team_id
        if role == "manager" and not team_id:
            raise ParseError("a manager user needs --team: the team whose records they see")
        if rep_id and s.get(Rep, rep_id) is None:
            raise NotFound(f"no rep {rep_id!r}: see `rightturn summary` for the reps")
        user = s.scalar(select(User).where(User.email == address))
        if user is None:
            user = User(email=address)
            s.add(user)
        user.password_hash = _hasher.hash(password)
        user.role, user.rep_id, user.team_id, user.active = role, rep_id, team_id, True
        s.flush()
        # A new password ends every session the old one opened.
        s.execute(delete(WebSession).where(WebSession.user_id == user.user_id))
        return _account(s, user)


def set_password(store: Store, email: str, password: str | None = None) -> str:
    """Give a user a new password (a generated one when ``password`` is None) and end every
    session the old one opened. Returns the password, to be shown once."""
    address = email.strip().lower()
    if password is None:
        password = "".join(secrets.choice(_READABLE) for _ in range(16))
    if len(password) < MIN_PASSWORD:
        raise ParseError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    with store.session() as s:
        user = s.scalar(select(User).where(User.email == address))
        if user is None:
            raise NotFound(f"no user {email!r}: see `rightturn users list`")
        user.password_hash = _hasher.hash(password)
        s.execute(delete(WebSession).where(WebSession.user_id == user.user_id))
    return password


def list_users(store: Store) -> list[Account]:
    """Every user, by email."""
    with store.session() as s:
        return [_account(s, u) for u in s.scalars(select(User).order_by(User.email))]


def authenticate(store: Store, email: str, password: str) -> Account | None:
    """The user whose email and password these are, or None (for any wrong part)."""
    address = email.strip().lower()
    with store.session() as s:
        user = s.scalar(select(User).where(User.email == address, User.active.is_(True)))
        try:
            _hasher.verify(user.password_hash if user else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return _account(s, user)


def start_session(store: Store, user_id: int) -> str:
    """A new browser session; returns the cookie value (the only copy of the token)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with store.session() as s:
        s.execute(delete(WebSession).where(WebSession.expires_at < now))
        s.add(
            WebSession(
                token_hash=_digest(token), user_id=user_id, expires_at=now + SESSION_LIFETIME
            )
        )
    return token


def user_for_session(store: Store, token: str) -> Account | None:
    """The active user of an unexpired session, or None."""
    with store.session() as s:
        row = s.execute(
            select(User, WebSession.expires_at)
            .join(WebSession, WebSession.user_id == User.user_id)
            .where(WebSession.token_hash == _digest(token), User.active.is_(True))
        ).first()
        if row is None or row[1] < utcnow():
            return None
        return _account(s, row[0])


def end_session(store: Store, token: str) -> None:
    """Sign a browser out."""
    with store.session() as s:
        s.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def issue_token(store: Store, email: str, *, label: str | None = None) -> str:
    """A new API token for a user; returns it (it is not stored and cannot be shown again)."""
    address = email.strip().lower()
    token = "rt_" + secrets.token_urlsafe(32)
    with store.session() as s:
        user = s.scalar(select(User).where(User.email == address))
        if user is None:
            raise NotFound(f"no user {email!r}: add one with `rightturn users add {email} ...`")
        if not user.active:
            raise Conflict(f"user {email!r} is deactivated")
        s.add(ApiToken(token_hash=_digest(token), user_id=user.user_id, label=label))
    return token


def user_for_token(store: Store, token: str) -> Account | None:
    """The active user an API token belongs to, or None; records when it was last used."""
    digest = _digest(token)
    with store.session() as s:
        user = s.scalar(
            select(User)
            .join(ApiToken, ApiToken.user_id == User.user_id)
            .where(ApiToken.token_hash == digest, ApiToken.revoked.is_(False))
            .where(User.active.is_(True))
        )
        if user is None:
            return None
        s.execute(
            update(ApiToken).where(ApiToken.token_hash == digest).values(last_used_at=utcnow())
        )
        return _account(s, user)


def demo_users(store: Store) -> list[tuple[str, str, Account]]:
    """A manager of the largest team and one of its reps, with fresh random passwords.

    Returns ``(email, password, account)``; the passwords are shown once and not kept.
    """
    with store.session() as s:
        team = s.execute(
            select(Rep.team_id, Team.name)
            .join(Team, Team.team_id == Rep.team_id)
            .group_by(Rep.team_id, Team.name)
            .order_by(func.count().desc(), Rep.team_id)
            .limit(1)
        ).first()
        if team is None:
            return []
        # The busiest rep (a team lead's own rep row may have no activity at all).
        rep = s.scalar(
            select(Rep)
            .outerjoin(Activity, Activity.rep_id == Rep.rep_id)
            .where(Rep.team_id == team[0])
            .group_by(Rep.rep_id)
            .order_by(func.count(Activity.activity_id).desc(), Rep.rep_id)
            .limit(1)
        )
        assert rep is not None
    slug = "".join(c for c in team[1].lower() if c.isalnum()) or "team"
    made = []
    for email, role, rep_id in (
        (f"manager.{slug}@demo.rightturn", "manager", None),
        (f"{rep.rep_id.lower()}@demo.rightturn", "rep", rep.rep_id),
    ):
        # Letters and digits only: easy to copy from a terminal table and type.
        password = "".join(secrets.choice(_READABLE) for _ in range(16))
        account = add_user(store, email, password, role=role, rep_id=rep_id, team=team[0])
        made.append((email, password, account))
    return made
