"""The errors rightturn raises.

Every error the package raises on purpose derives from one root, so the CLI and the web app can
translate them in one place (exit code and message; HTTP status and JSON body)::

    RightturnError
    ├── ConfigError          a setting is missing or malformed (names the setting and the fix)
    ├── StoreError           the database cannot be opened or is at the wrong schema revision
    │   └── SchemaOutOfDate  the database predates this version: run `rightturn init`
    ├── SourceError          an input (file, folder, server) cannot be read at all
    ├── ParseError           a value is malformed: a record (quarantined, the run goes on), a
    │                        flag or a parameter (also a ValueError)
    ├── NotFound             a named record does not exist
    ├── Conflict             the request contradicts what is stored
    └── PermissionDenied     the caller may not see or change this

Messages name the input and say what to do about it.
"""

from __future__ import annotations


class RightturnError(Exception):
    """Root of every error rightturn raises on purpose."""


class ConfigError(RightturnError):
    """A setting is missing or malformed."""


class StoreError(RightturnError):
    """The database cannot be opened or used."""


class SchemaOutOfDate(StoreError):
    """The database schema is older than this version of rightturn expects."""


class SourceError(RightturnError):
    """An input (file, folder, mailbox, server) cannot be read."""


class ParseError(RightturnError, ValueError):
    """A value is malformed: one record of an input, a flag, a query parameter.

    Also a ``ValueError``, so a reader that rejects a row on any unreadable value (the CRM and
    call-log readers) treats it as one."""


class NotFound(RightturnError):
    """A named record does not exist."""


class Conflict(RightturnError):
    """The request contradicts what is stored."""


class PermissionDenied(RightturnError):
    """The caller may not see or change this."""
