"""A free-text postal address, read into the parts EN 16931 asks for.

`Party.address` is whatever the user (or the LLM) wrote: "12 Rue de la Paix, 75002 Paris,
France", "350 Fifth Avenue\\nNew York, NY 10118\\nUSA". The PDF shows it exactly as written;
only the e-invoice needs it split into lines, city, post code and, above all, an ISO 3166-1
country code (BT-40 / BT-55 are mandatory).

The rules are deliberately conservative — a wrong country in a legal document is worse than
asking the user for it:

- the country is the last part of the address (after the last comma or line break), given as a
  country name in one of a few languages, a common alias ("USA", "UK") or an ISO alpha-2 code;
- a two-letter code that is also a US state ("CA", "DE", "IN", "IL", …) is only taken as a
  country when nothing else says so, i.e. never: "Springfield, IL" asks for the country;
- "NY 10118" (a US state and ZIP code) at the end means the United States.

When no country can be found, `country_code` is None and the export says which party's
country is missing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from babel import Locale

# Languages whose country names are recognised ("Deutschland", "Espagne", "Países Bajos", …).
_NAME_LANGUAGES = (
    "en",
    "fr",
    "de",
    "es",
    "it",
    "nl",
    "pt",
    "sv",
    "da",
    "nb",
    "fi",
    "pl",
    "cs",
    "el",
    "ru",
    "uk",
)
# Babel territory codes that are not countries in ISO 3166-1.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ"})
_ALIASES = {
    "usa": "US",
    "us": "US",
    "u s": "US",
    "u s a": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "holland": "NL",
    "the netherlands": "NL",
    "uae": "AE",
    "czech republic": "CZ",
    "turkey": "TR",
    "korea": "KR",
    "republic of korea": "KR",
    "russia": "RU",
    "ivory coast": "CI",
    "swiss": "CH",
}
_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR"
)
US_STATES = frozenset(_STATES.split(" "))
_US_STATE_ZIP = re.compile(
    r"^(?:(?P<city>.*?)[\s,]+)?(?P<state>[A-Z]{2})\s+(?P<zip>\d{5}(?:-\d{4})?)$"
)
# Post code before the city: 75002 Paris, D-10115 Berlin, 1012 AB Amsterdam, 00-950 Warszawa.
_CODE_THEN_CITY = re.compile(
    r"^(?P<code>\d{4}\s?[A-Z]{2}|(?:[A-Z]{1,2}-)?\d{4,6}|\d{2}-\d{3}|\d{3}\s\d{2})\s+(?P<city>\D.*)$"
)
# City before the post code: London SW1A 1AA, Dublin D02 X285, Toronto M5V 2T6, Madrid 28013.
_UK_LIKE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d{2}\s?[A-Z\d]{4}|[A-Z]\d[A-Z]\s?\d[A-Z]\d"
_CITY_THEN_CODE = re.compile(rf"^(?P<city>\D.*?)\s+(?P<code>{_UK_LIKE}|\d{{4,6}})$")
_CODE_ONLY = re.compile(rf"^(?:{_UK_LIKE})$")


@dataclass(frozen=True)
class PostalAddress:
    """The parts of an address as EN 16931 names them (BG-5 / BG-8)."""

    lines: tuple[str, ...]  # BT-35, BT-36, BT-162 (BT-50, BT-51, BT-163 for the buyer)
    city: str | None  # BT-37 / BT-52
    postcode: str | None  # BT-38 / BT-53
    subdivision: str | None  # BT-39 / BT-54 (a US state, …)
    country_code: str | None  # BT-40 / BT-55, ISO 3166-1 alpha-2


def _key(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a country name."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@cache
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for language in _NAME_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                names.setdefault(_key(name), code)
    names.update(_ALIASES)
    return names


@cache
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes this module can produce."""
    return frozenset(_country_names().values())


def country_from_text(text: str) -> str | None:
    """An ISO alpha-2 code for a country name, alias or code; None when unknown or ambiguous."""
    stripped = text.strip()
    if len(stripped) == 2 and stripped.isalpha() and stripped.upper() in country_codes():
        code = stripped.upper()
        return None if code in US_STATES else code
    return _country_names().get(_key(stripped))


def parse_address(text: str | None) -> PostalAddress | None:
    """Split a free-text address into lines, city, post code and country (see module doc)."""
    if not text or not text.strip():
        return None
    parts = [p.strip() for line in text.splitlines() for p in line.split(",")]
    parts = [p for p in parts if p]
    country = country_from_text(parts[-1]) if parts else None
    if country is not None:
        parts.pop()

    city = postcode = subdivision = None
    if parts and (us := _US_STATE_ZIP.match(parts[-1])) and us["state"] in US_STATES:
        if country in (None, "US"):
            country = "US"
            parts.pop()
            subdivision, postcode = us["state"], us["zip"]
            city = us["city"] or (parts.pop() if len(parts) > 1 else None)
    elif len(parts) >= 2:
        last = parts.pop()
        if match := _CODE_THEN_CITY.match(last) or _CITY_THEN_CODE.match(last):
            city, postcode = match["city"].strip(), match["code"]
        elif _CODE_ONLY.match(last):
            postcode = last
            city = parts.pop() if len(parts) >= 2 else None
        else:
            city = last
    lines = tuple(parts[:2]) + ((", ".join(parts[2:]),) if len(parts) > 2 else ())
    return PostalAddress(
        lines=lines, city=city, postcode=postcode, subdivision=subdivision, country_code=country
    )
