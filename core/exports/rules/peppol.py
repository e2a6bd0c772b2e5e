"""Peppol BIS Billing 3.0 (OpenPeppol, release 3.0.19): the PEPPOL-EN16931 rules and the
national rules of its Schematron that an invoice can break.

National rules apply by the seller's country (the country of its VAT number, else of its
address, as Peppol reads it): DE-R for seller and buyer in Germany (the XRechnung rules, see
xrechnung.py), NL-R for Dutch sellers, DK-R for Danish, NO-R for Norwegian, IT-R for Italian,
SE-R for Swedish, IS-R for Icelandic sellers. Greek sellers (GR-R) must number invoices in
myDATA's format and quote its MARK number, which this invoice cannot carry: the Peppol export
refuses them with that said.
"""

from __future__ import annotations

from decimal import Decimal

from core.exports.profiles import PEPPOL
from core.exports.rules import xrechnung as german
from core.exports.rules.facts import InvoiceFacts
from core.exports.rules.registry import rule
from core.identifiers import PEPPOL_EAS_SCHEMES, scheme_name

PROFILE = (PEPPOL,)
ADDRESS_EXAMPLES = (
    "for example 0208:0403019261 (Belgian enterprise number), 0106:12345678 (Dutch KvK), "
    "9930:DE811907980 (German VAT number), 0009 (SIRET)"
)


def peppol_country(facts: InvoiceFacts, role: str) -> str | None:
    """The country Peppol's national rules go by: the VAT number's prefix, else the address."""
    party = facts.party(role)
    if party.vat_id:
        prefix = party.vat_id[:2]
        return "GR" if prefix == "EL" else prefix
    return party.country


def address_country(facts: InvoiceFacts, role: str) -> str | None:
    return facts.party(role).country


# --- PEPPOL-EN16931 ---------------------------------------------------------------------------


@rule(
    "PEPPOL-EN16931-R003",
    "buyer_reference",
    "BT-10",
    "the buyer reference or purchase order number the buyer asked you to quote",
    profiles=PROFILE,
)
def buyer_reference_or_order(facts: InvoiceFacts):
    reference = (facts.data.get("buyer_reference") or "").strip()
    return bool(reference or (facts.data.get("purchase_order") or "").strip())


def _peppol_address(role: str, term: str):
    def test(facts: InvoiceFacts):
        address = facts.party(role).electronic_address(PEPPOL)
        if address is None:
            email = facts.party(role).data.get("email")
            note = " (an e-mail address is not a Peppol address)" if email else ""
            return f"the {role}'s Peppol electronic address{note}: {ADDRESS_EXAMPLES}"
        return True

    return test


def _peppol_scheme(role: str):
    def test(facts: InvoiceFacts):
        address = facts.party(role).electronic_address(PEPPOL)
        if address and address[0] not in PEPPOL_EAS_SCHEMES:
            return (
                f"a Peppol electronic address for the {role}: the scheme {address[0]} "
                f"({scheme_name(address[0])}) is not one Peppol can deliver to; "
                f"{ADDRESS_EXAMPLES}"
            )
        return True

    return test


rule(
    "PEPPOL-EN16931-R020",
    "seller.electronic_address",
    "BT-34",
    "the seller's Peppol address",
    profiles=PROFILE,
)(_peppol_address("seller", "BT-34"))
rule(
    "PEPPOL-EN16931-R010",
    "buyer.electronic_address",
    "BT-49",
    "the buyer's Peppol address",
    profiles=PROFILE,
)(_peppol_address("buyer", "BT-49"))
rule(
    "PEPPOL-EN16931-CL008",
    "seller.electronic_address",
    "BT-34-1",
    "a Peppol scheme",
    profiles=PROFILE,
)(_peppol_scheme("seller"))
rule(
    "PEPPOL-EN16931-CL008",
    "buyer.electronic_address",
    "BT-49-1",
    "a Peppol scheme",
    profiles=PROFILE,
)(_peppol_scheme("buyer"))


rule("PEPPOL-EN16931-R120", "items", "BT-131", "line amounts of quantity × price",
     profiles=PROFILE)(german.line_amounts(lambda facts: Decimal("0.02")))  # fmt: skip


# --- Germany (DE-R: seller and buyer in Germany) ---------------------------------------------


def _both_german(test):
    def national(facts: InvoiceFacts):
        german_pair = all(address_country(facts, role) == "DE" for role in ("seller", "buyer"))
        return True if not german_pair else test(facts)

    return national


_GERMAN_RULES = (
    ("DE-R-001", "payment", "BG-16", "payment instructions: how to pay, for example the IBAN",
     german.payment_instructions),
    ("DE-R-003", "seller.address", "BT-37", "the seller's city", german.seller_city),
    ("DE-R-004", "seller.address", "BT-38", "the seller's post code", german.seller_post_code),
    ("DE-R-005", "seller.contact.name", "BT-41",
     f"the seller's contact person {german.CONTACT_HINT}", german.seller_contact_name),
    ("DE-R-006", "seller.contact.phone", "BT-42", "the seller's contact telephone number",
     german.seller_contact_phone),
    ("DE-R-007", "seller.contact.email", "BT-43", "the seller's contact e-mail address",
     german.seller_contact_email),
    ("DE-R-008", "buyer.address", "BT-52", "the buyer's city", german.buyer_city),
    ("DE-R-009", "buyer.address", "BT-53", "the buyer's post code", german.buyer_post_code),
    ("DE-R-010", "buyer.address", "BT-77", "the city and post code where the goods went",
     german.deliver_to_city_and_post_code),
    ("DE-R-015", "buyer_reference", "BT-10", "the buyer reference (Leitweg-ID or order reference)",
     german.buyer_reference),
    ("DE-R-018", "payment_terms", "BT-20", "Skonto lines in XRechnung's format",
     german.skonto_lines),
)  # fmt: skip
for rule_id, field, term, message, test in _GERMAN_RULES:
    rule(rule_id, field, term, message, profiles=PROFILE)(_both_german(test))


# --- the Netherlands (NL-R: Dutch sellers) ---------------------------------------------------


def _dutch_seller(facts: InvoiceFacts) -> bool:
    return address_country(facts, "seller") == "NL"


def _dutch_pair(facts: InvoiceFacts) -> bool:
    return _dutch_seller(facts) and address_country(facts, "buyer") == "NL"


@rule(
    "NL-R-001",
    "preceding_invoice",
    "BT-25",
    "the number of the invoice this credit note credits",
    profiles=PROFILE,
)
def dutch_credit_note_reference(facts: InvoiceFacts):
    if not (_dutch_seller(facts) and facts.is_credit_note):
        return True
    return bool((facts.data.get("preceding_invoice") or {}).get("number"))


def _street_city_post_code(role: str):
    def test(facts: InvoiceFacts):
        address = facts.party(role).address
        if address is None:
            return True  # BR-09 / BR-11 ask for the whole address
        return bool(address.lines and address.city and address.postcode)

    return test


@rule(
    "NL-R-002",
    "seller.address",
    "BT-35",
    "the seller's street, post code and city (for example 'Keizersgracht 1, 1015 CJ Amsterdam, "
    "Netherlands')",
    profiles=PROFILE,
)
def dutch_seller_address(facts: InvoiceFacts):
    return not _dutch_seller(facts) or _street_city_post_code("seller")(facts)


def _kvk_or_oin(role: str):
    def test(facts: InvoiceFacts):
        registration = facts.party(role).registration
        return registration is None or registration[0] in ("0106", "0190")

    return test


@rule(
    "NL-R-003",
    "seller.electronic_address",
    "BT-30",
    "the seller's KvK number (scheme 0106) or OIN (0190) as its registration",
    profiles=PROFILE,
)
def dutch_seller_registration(facts: InvoiceFacts):
    return not _dutch_seller(facts) or _kvk_or_oin("seller")(facts)


@rule(
    "NL-R-004", "buyer.address", "BT-50", "the buyer's street, post code and city", profiles=PROFILE
)
def dutch_buyer_address(facts: InvoiceFacts):
    return not _dutch_pair(facts) or _street_city_post_code("buyer")(facts)


@rule(
    "NL-R-005",
    "buyer.electronic_address",
    "BT-47",
    "the buyer's KvK number (scheme 0106) or OIN (0190) as its registration",
    profiles=PROFILE,
)
def dutch_buyer_registration(facts: InvoiceFacts):
    return not _dutch_pair(facts) or _kvk_or_oin("buyer")(facts)


@rule(
    "NL-R-007",
    "payment",
    "BG-16",
    "payment instructions: how to pay, for example the IBAN",
    profiles=PROFILE,
)
def dutch_payment_means(facts: InvoiceFacts):
    owed = facts.amount_due > 0 and not facts.is_credit_note
    return not (_dutch_seller(facts) and owed) or bool(facts.payment.get("means_code"))


@rule(
    "NL-R-008",
    "payment.means_code",
    "BT-81",
    "a payment means Dutch buyers accept: 30 or 58 (credit transfer) or 57 (standing agreement)",
    profiles=PROFILE,
)
def dutch_payment_means_code(facts: InvoiceFacts):
    code = facts.payment.get("means_code")
    return not (_dutch_pair(facts) and code) or code in ("30", "48", "49", "57", "58", "59")


# --- Denmark, Norway, Italy, Sweden, Iceland, Greece ------------------------------------------


@rule(
    "DK-R-002",
    "seller.tax_id",
    "BT-30",
    "the seller's CVR number: a Danish VAT number (DK and 8 digits) or electronic address "
    "scheme 0184",
    profiles=PROFILE,
)
def danish_cvr(facts: InvoiceFacts):
    if address_country(facts, "seller") != "DK":
        return True
    registration = facts.seller.registration
    return registration is not None and registration[0] == "0184"  # DK-R-014 too


@rule(
    "DK-R-005",
    "payment.means_code",
    "BT-81",
    "a payment means Danish buyers accept: 58 (SEPA credit transfer), 42 (bank account), "
    "31 (debit transfer), 10 (cash) or 97 (clearing)",
    profiles=PROFILE,
)
def danish_payment_means(facts: InvoiceFacts):
    danish_pair = all(address_country(facts, r) == "DK" for r in ("seller", "buyer"))
    code = facts.payment.get("means_code")
    if not danish_pair or not code or facts.is_credit_note:
        return True
    return code in ("1", "10", "31", "42", "48", "49", "50", "58", "59", "93", "97")


@rule(
    "DK-R-006",
    "payment.bic",
    "BT-86",
    "the bank's BIC next to the account, for payment means 31 or 42",
    profiles=PROFILE,
)
def danish_account_and_bank(facts: InvoiceFacts):
    danish_pair = all(address_country(facts, r) == "DK" for r in ("seller", "buyer"))
    if not danish_pair or facts.is_credit_note:
        return True
    if facts.payment.get("means_code") in ("31", "42"):
        return bool(facts.payment.get("iban") and facts.payment.get("bic"))
    return True


@rule(
    "NO-R-001",
    "seller.tax_id",
    "BT-31",
    "the Norwegian VAT number as NO, the 9-digit organisation number and MVA "
    "(for example NO995525828MVA)",
    profiles=PROFILE,
)
def norwegian_vat(facts: InvoiceFacts):
    vat = facts.seller.vat_id
    if peppol_country(facts, "seller") != "NO" or not vat or not vat.startswith("NO"):
        return True
    from stdnum.no import mva

    return vat.endswith("MVA") and mva.is_valid(vat)


@rule(
    "IT-R-002",
    "seller.address",
    "BT-35",
    "the seller's street, post code and city",
    profiles=PROFILE,
)
def italian_seller_address(facts: InvoiceFacts):
    return peppol_country(facts, "seller") != "IT" or _street_city_post_code("seller")(facts)


@rule(
    "IT-R-001",
    "seller.tax_id",
    "BT-32",
    "an Italian tax registration of 11 to 16 letters and digits (codice fiscale)",
    profiles=PROFILE,
)
def italian_tax_registration(facts: InvoiceFacts):
    seller = facts.seller
    if peppol_country(facts, "seller") != "IT" or seller.vat_id or not seller.tax_id:
        return True
    value = seller.tax_id.replace(" ", "").upper()
    return value.isalnum() and 11 <= len(value) <= 16


@rule(
    "SE-R-001",
    "seller.tax_id",
    "BT-31",
    "the Swedish VAT number as SE and 12 digits (for example SE556036079301)",
    profiles=PROFILE,
)
def swedish_vat(facts: InvoiceFacts):
    vat = facts.seller.vat_id
    if address_country(facts, "seller") != "SE" or not vat or not vat.startswith("SE"):
        return True
    return len(vat) == 14 and vat[2:].isdigit()


@rule(
    "SE-R-005",
    "seller.tax_id",
    "BT-32",
    "a Swedish VAT number (SE…) for a Swedish seller: a tax number without the country code "
    "would be read as the F-skatt statement",
    profiles=PROFILE,
)
def swedish_tax_registration(facts: InvoiceFacts):
    seller = facts.seller
    is_swedish = address_country(facts, "seller") == "SE"
    tax_registration = seller.tax_id and not seller.vat_id
    if not (is_swedish and tax_registration and seller.registration):
        return True
    return seller.tax_id.strip().upper() == "GODKÄND FÖR F-SKATT"


@rule("SE-R-006", "items", "BT-152", "a Swedish standard VAT rate: 25, 12 or 6 %", profiles=PROFILE)
def swedish_rates(facts: InvoiceFacts):
    vat = facts.seller.vat_id or ""
    if address_country(facts, "seller") != "SE" or not vat.startswith("SE"):
        return True
    rates = {Decimal(i["tax_rate"]) for i in facts.items if Decimal(i["tax_rate"]) > 0}
    return rates <= {Decimal(25), Decimal(12), Decimal(6)}


@rule(
    "IS-R-002",
    "seller.electronic_address",
    "BT-30",
    "the seller's kennitala as its registration (electronic address scheme 0196)",
    profiles=PROFILE,
)
def icelandic_registration(facts: InvoiceFacts):
    if address_country(facts, "seller") != "IS":
        return True
    registration = facts.seller.registration
    return registration is not None and registration[0] == "0196"


@rule("IS-R-003", "seller.address", "BT-35", "the seller's street and post code", profiles=PROFILE)
def icelandic_seller_address(facts: InvoiceFacts):
    return address_country(facts, "seller") != "IS" or _street_city_post_code("seller")(facts)


@rule(
    "IS-R-004",
    "buyer.electronic_address",
    "BT-47",
    "the buyer's kennitala as its registration (electronic address scheme 0196)",
    profiles=PROFILE,
)
def icelandic_buyer_registration(facts: InvoiceFacts):
    pair = all(address_country(facts, r) == "IS" for r in ("seller", "buyer"))
    registration = facts.buyer.registration
    return not pair or (registration is not None and registration[0] == "0196")


@rule("IS-R-005", "buyer.address", "BT-50", "the buyer's street and post code", profiles=PROFILE)
def icelandic_buyer_address(facts: InvoiceFacts):
    pair = all(address_country(facts, r) == "IS" for r in ("seller", "buyer"))
    return not pair or _street_city_post_code("buyer")(facts)


@rule(
    "GR-R-001",
    "number",
    "BT-1",
    "for a Greek seller, an invoice number in myDATA's six-part format and the MARK number, "
    "which this invoice cannot carry yet: send it as an EN 16931 e-invoice instead",
    profiles=PROFILE,
)
def greek_seller(facts: InvoiceFacts):
    return peppol_country(facts, "seller") != "GR"
