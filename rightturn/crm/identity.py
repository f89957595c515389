"""Identities as rightturn stores and matches them: email addresses, domains, phone numbers.

Imports and capture both normalize through these functions, so an address typed into a CRM and
the same address in a mail header meet as one string. Each raises ``ValueError`` with a message
fit to show next to the input it came from.
"""

from __future__ import annotations

import re

import phonenumbers

from rightturn.errors import ParseError

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_address(value: str, column: str) -> str:
    """An email address, lower-cased (addresses are matched case-insensitively)."""
    address = value.strip().lower()
    if not _EMAIL.match(address):
        raise ParseError(f"{column} has {value!r}, which is not an email address")
    return address


def domain_name(value: str, column: str) -> str:
    """A web or email domain as stored: lower-case, no scheme, path, port or ``www.``."""
    domain = value.strip().lower()
    domain = re.sub(r"^[a-z][a-z0-9+.-]*://", "", domain)
    domain = domain.split("/")[0].split(":")[0].lstrip("@").rstrip(".")
    if domain.startswith("www."):
        domain = domain[4:]
    domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    if not _DOMAIN.match(domain):
        raise ParseError(f"{column} has {value!r}, which is not a domain name (e.g. acme.com)")
    return domain


def phone_number(value: str, column: str, region: str) -> str:
    """A phone number in E.164 (``+14155550134``); national numbers are read in ``region``."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ParseError(f"{column} has {value!r}, which is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise ParseError(
            f"{column} has {value!r}, which is not a possible phone number in {region} "
            "(write it with its country code, e.g. +44 20 7946 0958)"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


NATIONAL = "national:"


def national_number(value: str) -> str | None:
    """``national:DIGITS`` for a number written in some country's national format that the
    default region cannot read (``020 7946 0958`` in a US log): the digits after the trunk
    ``0``. Association resolves it against known numbers; None if it has too few digits."""
    if "+" in value:
        return None
    digits = re.sub(r"\D", "", value)
    if not digits.startswith("0") or digits.startswith("00"):
        return None
    digits = digits.lstrip("0")
    return NATIONAL + digits if 6 <= len(digits) <= 14 else None


def national_digits(e164: str) -> str | None:
    """The national significant number of an E.164 number (``+442079460958`` -> ``2079460958``)."""
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return None
