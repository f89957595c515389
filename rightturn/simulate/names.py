"""Name pools and formatting helpers: people, companies, domains and phone numbers.

Everything here is deterministic given its inputs (an index or a `random.Random`), so
two runs with the same seed produce the same organisation.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

SELLER = "Brightwave"
SELLER_DOMAIN = "brightwave.io"

FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark",
    "Margaret", "Steven", "Sandra", "Paul", "Ashley", "Andrew", "Emily", "Joshua", "Michelle",
    "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Oliver", "Charlotte", "Harry",
    "Amelia", "Jack", "Isla", "Noah", "Olivia", "Priya", "Arjun", "Wei", "Mei", "Hiroshi", "Yuki",
    "Aisha", "Omar", "Fatima", "Carlos", "Lucia", "Diego", "Sofia", "Lukas", "Hannah", "Felix",
    "Lena", "Maximilian", "Anna", "Jonas", "Laura", "Zoë", "Jürgen", "Søren", "Françoise",
    "Łukasz", "Bjørn", "Renée", "Chloé", "José", "Inés", "Björn", "Małgorzata", "Sinéad", "Niamh",
    "Siobhán", "Ángel", "Raphaël",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson",
    "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Evans",
    "Turner", "Phillips", "Campbell", "Parker", "Collins", "Edwards", "Stewart", "Patel", "Shah",
    "Chen", "Wang", "Tanaka", "Sato", "Khan", "Hussain", "Rodriguez", "Lopez", "Fischer", "Weber",
    "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "O'Brien", "O'Connor", "Murphy", "Kelly",
    "Walsh", "Müller", "Schröder", "Núñez", "Jørgensen", "Kowalczyk", "Dvořák", "Lefèvre",
    "Gonçalves", "Åberg", "Öztürk", "Peña", "Krüger",
]  # fmt: skip
BUYER_TITLES = [
    "VP Sales", "Chief Revenue Officer", "Director of Sales Operations", "RevOps Manager",
    "Sales Manager", "Head of Sales Enablement", "CFO", "IT Director", "Procurement Manager",
    "VP Finance", "Regional Sales Director", "Head of Customer Success", "COO",
]  # fmt: skip
INDUSTRIES = [
    "Software", "Manufacturing", "Healthcare", "Logistics", "Financial Services", "Retail",
    "Education", "Energy", "Media", "Telecommunications", "Insurance", "Construction",
]  # fmt: skip
_CO_PREFIX = [
    "Acme", "Vantage", "Northwind", "Bluepeak", "Cobalt", "Evergreen", "Granite", "Harbor",
    "Ironwood", "Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Orchard", "Pinnacle",
    "Quarry", "Redwood", "Sable", "Tidewater", "Umber", "Vertex", "Willow", "Zenith", "Aurora",
    "Beacon", "Cedar", "Delta", "Ember", "Falcon", "Glacier", "Horizon", "Indigo", "Jasper",
    "Kestrel", "Lattice", "Maple", "Nova", "Onyx", "Prairie", "Quantum", "Ridge", "Summit",
    "Trident", "Unity", "Vista", "Westfield", "Yarrow", "Zephyr", "Alder", "Birch", "Crescent",
    "Driftwood", "Elm", "Fjord", "Grove", "Hawthorn", "Islet", "Kingfisher", "Larch", "Mosaic",
    "Nettle", "Oakridge", "Pebble", "Quill", "Riverbend", "Sparrow", "Thistle", "Upland",
    "Valley", "Wren", "Axiom", "Bolt", "Cipher", "Dynamo", "Echo", "Flux", "Gamma", "Helix",
    "Ion", "Kinetic", "Lynx", "Magnet", "Nexus", "Optic", "Pulse", "Radiant", "Spark", "Torque",
    "Vector", "Wave", "Apex", "Bastion", "Citadel", "Dominion", "Emerald", "Frontier", "Gemini",
    "Halcyon", "Imperial", "Jubilee", "Laurel", "Monarch", "Northstar", "Olympus", "Paragon",
]  # fmt: skip
_CO_SUFFIX = [
    "Systems", "Labs", "Logistics", "Health", "Partners", "Industries", "Analytics", "Foods",
    "Energy", "Capital", "Networks", "Software", "Manufacturing", "Media", "Retail", "Group",
    "Holdings", "Dynamics", "Solutions", "Works", "Biotech", "Freight", "Insurance", "Learning",
    "Telecom", "Builders", "Robotics", "Materials", "Pharma", "Outfitters", "Consulting",
    "Security", "Devices", "Instruments", "Foundry", "Mobility", "Studios", "Markets",
]  # fmt: skip
_CO_QUALIFIER = [
    "", "Global", "Pacific", "Atlantic", "Northern", "Southern", "Western", "Eastern", "Central",
    "United", "First", "Premier", "Coastal", "Metro", "Continental", "Royal", "National",
    "Allied", "Modern", "Summit", "Bright", "Prime", "Grand", "Standard",
]  # fmt: skip
COMPANY_SPACE = len(_CO_PREFIX) * len(_CO_SUFFIX) * len(_CO_QUALIFIER)
_PERMUTE = 7919  # a prime larger than every pool size, so i -> i*P mod N is a bijection


def company_name(index: int) -> str:
    """Return a unique company name for `index` (< COMPANY_SPACE), in scrambled order."""
    j = (index * _PERMUTE + 17) % COMPANY_SPACE
    prefix = _CO_PREFIX[j % len(_CO_PREFIX)]
    j //= len(_CO_PREFIX)
    suffix = _CO_SUFFIX[j % len(_CO_SUFFIX)]
    qualifier = _CO_QUALIFIER[j // len(_CO_SUFFIX)]
    return f"{qualifier} {prefix} {suffix}".strip()


_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "'": ""})


def ascii_slug(text: str, sep: str = "") -> str:
    """Fold accents and drop punctuation: "Jürgen O'Brien" -> "jurgenobrien"."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    kept = "".join(c for c in folded if c.isascii() and (c.isalnum() or c == " "))
    return sep.join(kept.lower().split())


def company_domain(name: str, tld: str = "com") -> str:
    """The web domain a company of this name would register."""
    return f"{ascii_slug(name)}.{tld}"


def person_name(rng: random.Random) -> tuple[str, str]:
    """A (first, last) pair drawn from mixed-origin pools, some with non-ASCII letters."""
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


# --- phone numbers ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number: country calling code, area code and subscriber digits (no trunk 0)."""

    country: str  # "1", "44" or "49"
    area: str
    local: str

    def canonical(self) -> str:
        """The international display form used in CRM exports."""
        return fmt_phone(self, 0)


# Realistic area codes. Contacts, reps and strangers use disjoint sets so that no random
# draw for an unknown number can collide with a known person.
CONTACT_AREAS = {
    "US": ["415", "212", "617", "312", "206", "512", "303", "404", "213", "713"],
    "UK": ["20", "161", "121", "131"],
    "DE": ["30", "40", "69", "221"],
}
REP_AREAS = {"US": ["628", "646"], "UK": ["20"], "DE": ["89"]}
STRANGER_AREAS = {"US": ["702", "305", "602"], "UK": ["113", "117"], "DE": ["211", "711"]}
COUNTRY_CODE = {"US": "1", "UK": "44", "DE": "49"}
_LOCAL_LEN = {"20": 8}  # London numbers have 8 subscriber digits; the rest here have 7


def allocate_phone(country: str, area: str, serial: int, *, first_digit: int = 2) -> Phone:
    """A number unique per `serial`: a bijective scramble of the serial into the subscriber
    range, so distinct serials never share a number within one area code."""
    width = _LOCAL_LEN.get(area, 7)
    span = 8 * 10 ** (width - 1)  # subscriber numbers first_digit000.. with 8 leading choices
    local = first_digit * 10 ** (width - 1) + (serial * 3_141_593 + 7) % span
    return Phone(COUNTRY_CODE[country], area, str(local).zfill(width))


def random_phone(rng: random.Random, country: str) -> Phone:
    """A plausible number for someone the organisation does not know."""
    area = rng.choice(STRANGER_AREAS[country])
    width = _LOCAL_LEN.get(area, 7)
    return Phone(COUNTRY_CODE[country], area, str(rng.randrange(2 * 10 ** (width - 1), 10**width)))


def _grouped(local: str) -> str:
    if len(local) == 8:
        return f"{local[:4]} {local[4:]}"
    return f"{local[:3]} {local[3:]}"


def fmt_phone(p: Phone, style: int) -> str:
    """Render `p` in one of several real-world formats; style 0 is international display."""
    forms: tuple[str, ...]
    if p.country == "1":
        forms = (
            f"+1 {p.area}-{p.local[:3]}-{p.local[3:]}",
            f"({p.area}) {p.local[:3]}-{p.local[3:]}",
            f"{p.area}{p.local}",
            f"+1{p.area}{p.local}",
            f"{p.area}.{p.local[:3]}.{p.local[3:]}",
            f"1-{p.area}-{p.local[:3]}-{p.local[3:]}",
        )
    elif p.country == "44":
        forms = (
            f"+44 {p.area} {_grouped(p.local)}",
            f"0{p.area} {_grouped(p.local)}",
            f"+44{p.area}{p.local}",
            f"0044 {p.area} {_grouped(p.local)}",
            f"(0{p.area}) {_grouped(p.local)}",
        )
    else:
        forms = (
            f"+49 {p.area} {p.local}",
            f"0{p.area} {p.local}",
            f"+49{p.area}{p.local}",
            f"0049 {p.area} {p.local}",
            f"0{p.area}/{p.local}",
        )
    return forms[style % len(forms)]
