"""Sign-in limits: per address and email, per email, per address; known browsers; unlock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rightturn.crm.signin import SignInLimits, failed, retry_after, succeeded, unlock
from rightturn.crm.store import Store
from rightturn.crm.types import utcnow
from rightturn.crm.users import (
    add_user,
    authenticate,
    set_password,
    start_session,
    user_for_session,
)
from rightturn.errors import NotFound, ParseError

LIMITS = SignInLimits(pair=3, account=5, address=8, window=timedelta(minutes=10))


def _user(store: Store, email: str = "ann@example.com") -> int:
    return add_user(store, email, "a long enough password", role="admin").user_id


def test_each_limit_holds_back_only_what_it_counts(store: Store) -> None:
    now = utcnow()
    for _ in range(3):
        failed(store, "10.0.0.1", "ann@example.com", now=now)
    assert retry_after(store, "10.0.0.1", "ann@example.com", limits=LIMITS, now=now) > 0
    # Another account from the same address, and the same account elsewhere, may still try.
    assert retry_after(store, "10.0.0.1", "bob@example.com", limits=LIMITS, now=now) == 0
    assert retry_after(store, "10.0.0.2", "ann@example.com", limits=LIMITS, now=now) == 0
    # The window passes: the pair may try again.
    later = now + LIMITS.window + timedelta(seconds=1)
    assert retry_after(store, "10.0.0.1", "ann@example.com", limits=LIMITS, now=later) == 0


def test_the_wait_is_until_the_oldest_counted_failure_leaves_the_window(store: Store) -> None:
    now = utcnow()
    for minutes in (9, 5, 1):
        failed(store, "10.0.0.1", "ann@example.com", now=now - timedelta(minutes=minutes))
    wait = retry_after(store, "10.0.0.1", "ann@example.com", limits=LIMITS, now=now)
    assert 60 <= wait <= 61  # the failure 9 minutes ago leaves a 10-minute window in a minute


def test_account_and_address_limits_spare_a_known_browser(store: Store) -> None:
    user_id = _user(store)
    browser = succeeded(store, "10.0.0.9", "ann@example.com", user_id)
    now = utcnow()
    for n in range(5):
        failed(store, f"192.0.2.{n}", "ann@example.com", now=now)
    assert retry_after(store, "10.0.0.9", "ann@example.com", limits=LIMITS, now=now) > 0
    assert (
        retry_after(store, "10.0.0.9", "ann@example.com", browser=browser, limits=LIMITS, now=now)
        == 0
    )
    # A browser known for another user is a stranger to this one.
    other = succeeded(store, "10.0.0.9", "bob@example.com", _user(store, "bob@example.com"))
    assert retry_after(store, "10.0.0.9", "ann@example.com", browser=other, limits=LIMITS) > 0
    # The same browser signing in again keeps its token.
    assert succeeded(store, "10.0.0.9", "ann@example.com", user_id, browser=browser) == browser


def test_the_address_limit_counts_every_account(store: Store) -> None:
    now = utcnow()
    for n in range(8):
        failed(store, "10.0.0.1", f"user{n}@example.com", now=now)
    assert retry_after(store, "10.0.0.1", "new@example.com", limits=LIMITS, now=now) > 0


def test_unlock_forgets_failures_by_email_or_address(store: Store) -> None:
    now = utcnow()
    for _ in range(3):
        failed(store, "10.0.0.1", "Ann@Example.com ", now=now)
    assert unlock(store, email="ann@example.com") == 3
    assert retry_after(store, "10.0.0.1", "ann@example.com", limits=LIMITS, now=now) == 0
    failed(store, "10.0.0.1", "x@example.com", now=now)
    assert unlock(store, address="10.0.0.1") == 1
    with pytest.raises(ParseError, match="email or an address"):
        unlock(store)


def test_a_new_password_signs_the_user_out_and_is_the_only_one_that_works(store: Store) -> None:
    user_id = _user(store)
    session = start_session(store, user_id)
    chosen = set_password(store, "ann@example.com")
    assert len(chosen) >= 16
    assert user_for_session(store, session) is None
    assert authenticate(store, "ann@example.com", "a long enough password") is None
    assert authenticate(store, "ann@example.com", chosen) is not None
    with pytest.raises(ParseError, match="too short"):
        set_password(store, "ann@example.com", "short")
    with pytest.raises(NotFound, match="users list"):
        set_password(store, "nobody@example.com", "a long enough password")
