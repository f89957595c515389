"""Settings, resolved once: defaults < environment < command-line flags.

This module is the only reader of ``os.environ`` in the package, so every setting is documented
here and nowhere else.

| setting | environment      | default                   |
|---------|------------------|---------------------------|
| db_url  | ``RIGHTTURN_DB`` | ``sqlite:///rightturn.db`` |
| phone_region | ``RIGHTTURN_PHONE_REGION`` | ``US`` (how national phone numbers are read) |
| capture_batch | ``RIGHTTURN_CAPTURE_BATCH`` | ``2000`` items per transaction |
| IMAP password | ``RIGHTTURN_IMAP_PASSWORD`` (or ``--password-env NAME``) | prompt |
| a new user's password | ``RIGHTTURN_PASSWORD`` (``rightturn users add``) | prompt |
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rightturn.errors import ConfigError

DEFAULT_DB_URL = "sqlite:///rightturn.db"
DB_ENV = "RIGHTTURN_DB"
PHONE_REGION_ENV = "RIGHTTURN_PHONE_REGION"


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one command or app instance."""

    db_url: str = DEFAULT_DB_URL
    phone_region: str = "US"
    capture_batch: int = 2000


def resolve_db_url(flag: str | None = None) -> str:
    """The database URL: the ``--db`` flag, else ``RIGHTTURN_DB``, else the SQLite default."""
    if flag is not None and not flag.strip():
        # An empty flag is a slip (an unset shell variable), not a request for the default.
        raise ConfigError(
            "--db is empty: give a database URL, e.g. sqlite:///rightturn.db or "
            "postgresql://user@host:5432/dbname (or leave --db out to use RIGHTTURN_DB)"
        )
    url = flag or os.environ.get(DB_ENV) or DEFAULT_DB_URL
    if "://" not in url:
        raise ConfigError(
            f"database URL {url!r} is not a URL: use e.g. sqlite:///rightturn.db or "
            "postgresql://user@host:5432/dbname (set it with --db or RIGHTTURN_DB)"
        )
    return url


def load_settings(db: str | None = None) -> Settings:
    """Build the settings for one command from its flags and the environment."""
    region = (os.environ.get(PHONE_REGION_ENV) or "US").strip().upper()
    if len(region) != 2 or not region.isalpha():
        raise ConfigError(
            f"{PHONE_REGION_ENV}={region!r} is not a two-letter country code such as US, GB or DE"
        )
    batch = os.environ.get("RIGHTTURN_CAPTURE_BATCH") or "2000"
    if not batch.isdigit() or int(batch) < 1:
        raise ConfigError(f"RIGHTTURN_CAPTURE_BATCH={batch!r} is not a positive whole number")
    return Settings(db_url=resolve_db_url(db), phone_region=region, capture_batch=int(batch))


def secret(env_var: str) -> str | None:
    """A secret (a password) from the environment, or None; never logged, never stored."""
    value = os.environ.get(env_var)
    return value if value else None
