"""core.identifiers: the code lists are the validators' own, and identifiers are checked by
python-stdnum (check digits), so a bad IBAN, VAT number or address never reaches an XML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import identifiers
from core.exports.validation import artefact_path


def ubl_schematron_list(rule_id: str) -> set[str]:
    """The codes the CEN UBL Schematron lists in its assertion `rule_id`."""
    text = artefact_path("ubl-2.1/EN16931-UBL-validation.xslt").read_text(encoding="utf-8")
    at = text.index(f"[{rule_id}]")
    assertion = text[text.rfind("<xsl:when", 0, at) : at]
    return set(re.search(r"contains\(\s*' ([^']*)'", assertion).group(1).split())


def test_the_eas_list_is_the_validators_list():
    ubl = ubl_schematron_list("BR-CL-25")
    # Factur-X's CII list (ours) lacks two codes the UBL artefact has: we accept only codes
    # both validators accept, so a party's address can go out in either syntax.
    assert identifiers.eas_schemes() <= ubl
    assert ubl - identifiers.eas_schemes() == {"0219", "0220"}
    assert {"EM", "0088", "0204", "0208", "0106", "0190", "9930"} <= identifiers.eas_schemes()


def test_peppol_can_route_to_fewer_schemes_and_no_email():
    assert identifiers.eas_schemes() > identifiers.PEPPOL_EAS_SCHEMES
    assert "EM" not in identifiers.PEPPOL_EAS_SCHEMES
    assert {
        "0208",
        "9925",
        "0106",
        "0190",
        "9930",
        "0204",
        "0088",
    } <= identifiers.PEPPOL_EAS_SCHEMES


def test_the_vatex_list_is_the_validators_list():
    assert identifiers.vatex_codes() == ubl_schematron_list("BR-CL-22")


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("VATEX-EU-AE", "AE"),
        ("VATEX-FR-AE", "AE"),
        ("VATEX-EU-IC", "K"),
        ("VATEX-EU-G", "G"),
        ("VATEX-EU-O", "O"),
        ("VATEX-EU-132-1C", "E"),
        ("VATEX-EU-D", "E"),  # Peppol P0108: margin schemes are exemptions
        ("vatex-eu-ae", "AE"),
    ],
)
def test_each_exemption_code_belongs_to_one_category(code, category):
    assert identifiers.category_for_exemption(code) == category


@pytest.mark.parametrize(
    ("vat_id", "valid"),
    [
        ("DE811907980", True),
        ("DE123456789", False),  # check digit
        ("FR40303265045", True),
        ("FR12345678901", False),
        ("BE0403019261", True),
        ("NL853746333B01", True),
        ("DK13585628", True),
        ("DK12345678", False),
        ("GB999999973", True),
        ("GB123456789", False),
        ("DE12345", False),  # length
        ("XK1234567", True),  # no check known for the country: accepted as written
    ],
)
def test_vat_numbers_are_checked_for_their_country(vat_id, valid):
    problem = identifiers.vat_problem(vat_id)
    assert (problem is None) is valid, problem
    if not valid:
        assert vat_id in problem and "VAT number for" in problem


def test_iban_and_bic():
    assert identifiers.iban_problem("DE89370400440532013000") is None
    assert "check digits" in identifiers.iban_problem("DE89370400440532013001")
    assert identifiers.iban_problem("DE89") is not None
    assert identifiers.bic_problem("COBADEFFXXX") is None
    assert identifiers.bic_problem("COBADEFF") is None
    assert identifiers.bic_problem("COBA") is not None


@pytest.mark.parametrize(
    ("scheme", "value", "valid"),
    [
        ("0208", "0403019261", True),
        ("0208", "0403019262", False),  # mod 97 (PEPPOL-COMMON-R043)
        ("0208", "BE0403019261", False),  # the enterprise number has no prefix
        ("0088", "4000001123452", True),
        ("0088", "4000001123453", False),  # GS1 check digit (PEPPOL-COMMON-R040)
        ("0106", "12345678", True),
        ("0106", "1234567", False),
        ("0190", "00000001234567890000", True),
        ("0204", "991-33333TEST-33", True),
        ("0204", "04011000-12345-67", False),  # Leitweg-ID check digits
        ("0002", "303265045", True),
        ("0009", "30326504500003", True),
        ("0184", "DK13585628", True),
        ("0184", "13585628", True),
        ("0184", "1358562", False),  # PEPPOL-COMMON-R042
        ("0192", "974760673", True),
        ("9930", "DE811907980", True),
        ("9930", "811907980", True),
        ("9930", "DE123456789", False),
        ("9925", "BE0403019261", True),
        ("EM", "billing@example.com", True),
        ("EM", "not an address", False),
        ("0060", "123456789", True),
        ("0151", "51824753556", True),
    ],
)
def test_electronic_addresses_are_checked_per_scheme(scheme, value, valid):
    problem = identifiers.electronic_address_problem(scheme, value)
    assert (problem is None) is valid, problem


@pytest.mark.parametrize(
    ("tax_id", "expected"),
    [
        ("fr 40 303 265 045", "FR40303265045"),
        ("EL094259216", "EL094259216"),
        ("12-3456789", None),
        ("DE", None),
        (None, None),
    ],
)
def test_vat_identifier(tax_id, expected):
    assert identifiers.vat_identifier(tax_id) == expected


def test_the_settings_page_offers_only_schemes_the_server_accepts():
    """frontend/src/records.ts EAS_SCHEMES: each code of the settings' select is in the EAS
    code list the profile is validated against."""
    source = (Path(__file__).parents[2] / "frontend/src/records.ts").read_text(encoding="utf-8")
    block = source[source.index("export const EAS_SCHEMES") :]
    block = block[: block.index("];")]
    offered = re.findall(r'code: "([0-9A-Z]+)"', block)
    assert len(offered) >= 10 and "9930" in offered and "0204" in offered
    assert set(offered) <= identifiers.eas_schemes()
