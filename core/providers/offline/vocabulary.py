"""The words the offline engine knows: currencies, units, numbers, months, weekdays, and the
words that help it tell a client's name from a line's description."""

from __future__ import annotations

import re
from collections.abc import Iterable

from iso4217 import Currency

DOLLAR = "$"  # a bare dollar sign: the invoice's dollar currency, or USD
DOLLAR_CURRENCIES = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"})
# Codes read in any case ("500 eur"); every other ISO 4217 code is read in capitals only, so
# "all", "top" or "try" stay words.
COMMON_CODES = frozenset({
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "NZD", "SGD", "HKD", "SEK", "NOK",
    "DKK", "PLN", "CZK", "MXN", "BRL", "CNY", "ZAR", "HUF", "ILS", "KRW", "AED", "SAR", "BHD",
    "KWD", "THB", "IDR", "MYR", "RON", "OMR", "JOD", "VND", "NGN", "KES", "QAR", "ISK", "TWD",
})  # fmt: skip
# Every ISO 4217 currency that has a minor unit (what the invoice schema accepts).
CURRENCY_CODES = (
    frozenset(currency.code for currency in Currency if currency.exponent is not None)
    | COMMON_CODES
)
CURRENCY_SYMBOLS = {
    "US$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "NZ$": "NZD",
    "S$": "SGD", "HK$": "HKD", "R$": "BRL", "$": DOLLAR, "€": "EUR", "£": "GBP", "¥": "JPY",
    "₹": "INR", "Rs.": "INR", "Rs": "INR", "₩": "KRW", "₪": "ILS", "zł": "PLN", "Fr.": "CHF",
    "₦": "NGN", "₫": "VND", "₱": "PHP", "฿": "THB", "₺": "TRY", "₴": "UAH", "Kč": "CZK",
}  # fmt: skip
CURRENCY_NAMES = {
    "us dollars": "USD", "us dollar": "USD", "canadian dollars": "CAD", "canadian dollar": "CAD",
    "australian dollars": "AUD", "australian dollar": "AUD", "singapore dollars": "SGD",
    "singapore dollar": "SGD", "new zealand dollars": "NZD", "hong kong dollars": "HKD",
    "dollars": DOLLAR, "dollar": DOLLAR, "bucks": DOLLAR, "euros": "EUR", "euro": "EUR",
    "pounds sterling": "GBP", "pounds": "GBP", "pound": "GBP", "sterling": "GBP", "quid": "GBP",
    "yen": "JPY", "rupees": "INR", "rupee": "INR", "swiss francs": "CHF", "francs": "CHF",
    "franc": "CHF", "yuan": "CNY", "renminbi": "CNY", "zloty": "PLN", "złoty": "PLN",
    "naira": "NGN", "rand": "ZAR", "dirhams": "AED", "dirham": "AED", "riyals": "SAR",
    "swedish kronor": "SEK", "norwegian kroner": "NOK", "danish kroner": "DKK",
}  # fmt: skip
# Symbols for replies; other currencies are shown by their code ("CHF 1,200.00").
REPLY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}

UNITS = {
    "hour": ("hours", "hour", "hrs", "hr", "h"),
    "day": ("days", "day", "d"),
    "week": ("weeks", "week", "wks", "wk"),
    "month": ("months", "month", "mos", "mo"),
    "year": ("years", "year", "yrs", "yr"),
    "minute": ("minutes", "minute", "mins", "min"),
    "night": ("nights", "night"),
    "session": ("sessions", "session"),
    "piece": ("pieces", "piece", "pcs", "pc"),
    "unit": ("units", "unit"),
    "page": ("pages", "page"),
    "word": ("words", "word"),
    "kg": ("kg", "kilos", "kilo", "kilograms", "kilogram"),
    "km": ("km", "kilometres", "kilometers", "kilometre", "kilometer"),
    "mile": ("miles", "mile", "mi"),
    "seat": ("seats", "seat"),
    "metre": ("metres", "meters", "metre", "meter", "m"),
    "square metre": ("square metres", "square meters", "sq m", "sqm", "m2", "m²"),
    "foot": ("feet", "foot", "ft"),
    "square foot": ("square feet", "sq ft", "sqft"),
    "yard": ("yards", "yard", "yd"),
    "litre": ("litres", "liters", "litre", "liter"),
    "gallon": ("gallons", "gallon", "gal"),
    "tonne": ("tonnes", "tons", "tonne", "ton"),
    "lb": ("lbs", "lb"),
    "dozen": ("dozens", "dozen", "doz"),
}
UNIT_BY_WORD = {word: unit for unit, words in UNITS.items() for word in words}
RATE_ADVERBS = {
    "hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month", "yearly": "year",
    "annually": "year", "nightly": "night",
}  # fmt: skip
NUMBER_WORDS = {
    "a": "1", "an": "1", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11",
    "twelve": "12", "fifteen": "15", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "sixty": "60", "ninety": "90", "a couple of": "2", "a dozen": "12",
    "half an": "0.5", "half a": "0.5",
}  # fmt: skip
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5,
}  # fmt: skip
MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Abbreviations written in capitals in a line's description even when typed in lower case.
ACRONYMS = frozenset({
    "qa", "pm", "ux", "ui", "seo", "sem", "ppc", "api", "crm", "cms", "erp", "hr", "pdf", "sql",
    "aws", "gdpr", "pr", "cad", "bim", "hvac", "tv", "dj", "mc", "kpi", "roi", "saas", "sms",
    "faq", "rfp", "3d", "2d", "av", "ai", "ml", "gpu", "ssl", "dns", "vpn", "iot", "ppe", "pos",
    "led", "usb", "rfid", "hipaa", "ceo", "cfo", "cto", "it", "q1", "q2", "q3", "q4",
})  # fmt: skip

# Words that end a company's name: "acme corp logo design $800" is Acme Corp + Logo design.
COMPANY_SUFFIXES = frozenset({
    "inc", "llc", "ltd", "corp", "co", "gmbh", "ag", "sa", "plc", "bv", "llp", "pty", "sarl",
    "srl", "oy", "ab", "limited", "corporation", "incorporated", "company", "industries",
    "enterprises", "group", "holdings", "partners", "associates", "labs", "studios", "systems",
    "solutions", "technologies", "ventures", "international", "bros", "brothers", "kg", "nv",
})  # fmt: skip
# Nouns that usually head a line's description. When a message runs a client's name into
# a line ("invoice acme logo design $800"), the description starts at the last of these, with
# the word before it ("logo design").
ITEM_NOUNS = frozenset({
    "consulting", "consultation", "consultancy", "design", "redesign", "development", "dev",
    "programming", "coding", "engineering", "support", "maintenance", "hosting", "training",
    "workshop", "audit", "review", "research", "analysis", "writing", "copywriting", "editing",
    "translation", "photography", "photos", "video", "illustration", "logo", "website", "site",
    "app", "branding", "marketing", "seo", "management", "strategy", "coaching", "tutoring",
    "lessons", "cleaning", "repair", "repairs", "installation", "setup", "delivery", "shipping",
    "travel", "mileage", "parking", "materials", "license", "licenses", "licence", "licences",
    "subscription", "retainer", "fee", "fees", "services", "service", "work", "labor",
    "labour", "session", "sessions", "meeting", "printing", "flyers", "widgets", "parts",
    "equipment", "rental", "catering", "tickets", "accommodation", "hotel", "flights",
    "expenses", "deposit", "project", "sprint", "milestone", "report", "testing", "migration",
    "integration", "implementation", "deployment", "architecture", "content", "banner",
    "brochure", "newsletter", "campaign", "mockups", "prototype", "landscaping", "gardening",
    "plumbing", "painting", "moving", "storage", "bookkeeping", "accounting", "tax", "legal",
    "advice", "voiceover", "mixing", "mastering", "recording", "transcription", "proofreading",
})  # fmt: skip


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first so "hours" wins over "h"."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered)


SYMBOL_ALT = alternation(CURRENCY_SYMBOLS)
CODE_ALT = f"(?:{alternation(COMMON_CODES)}|(?-i:{alternation(CURRENCY_CODES - COMMON_CODES)}))"
NAME_ALT = alternation(CURRENCY_NAMES)
# "d" is a day only in lower case: "2d onsite" is two days, "3D renderings" are not
UNIT_ALT = alternation(word for word in UNIT_BY_WORD if word != "d") + "|(?-i:d)"
ADVERB_ALT = alternation(RATE_ADVERBS)
NUMBER_WORD_ALT = alternation(NUMBER_WORDS)
NUMBER_WORD_NOT_A_ALT = alternation(w for w in NUMBER_WORDS if w not in {"a", "an"})
MONTH_ALT = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
WEEKDAY_ALT = alternation(WEEKDAYS)
