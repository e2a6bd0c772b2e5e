"""XRechnung 3.0 (KoSIT, the German CIUS): the BR-DE rules, and the Peppol rules XRechnung
adopted (PEPPOL-EN16931-R010 and R020: both electronic addresses), that an invoice can break.

The same German rules apply in Peppol when seller and buyer are both in Germany (Peppol's
DE-R-* rules, peppol.py), so each is written once here as a plain function.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

from core.exports.profiles import XRECHNUNG
from core.exports.rules.facts import InvoiceFacts
from core.exports.rules.registry import rule
from core.money import plain

PROFILE = (XRECHNUNG,)
# BR-DE-18: a line of the payment terms that starts with '#' is a Skonto (early payment
# discount) line in KoSIT's format, e.g. "#SKONTO#TAGE=14#PROZENT=2.00#".
SKONTO = re.compile(
    r"^#(SKONTO)#TAGE=([0-9]+#PROZENT=[0-9]+\.[0-9]{2})(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#$"
)


def payment_instructions(facts: InvoiceFacts):
    return bool(facts.payment.get("means_code"))


def seller_city(facts: InvoiceFacts):
    address = facts.seller.address
    return address is None or bool(address.city)  # no address at all: BR-09 asks for it


def seller_post_code(facts: InvoiceFacts):
    address = facts.seller.address
    return address is None or bool(address.postcode)


def buyer_city(facts: InvoiceFacts):
    address = facts.buyer.address
    return address is None or bool(address.city)


def buyer_post_code(facts: InvoiceFacts):
    address = facts.buyer.address
    return address is None or bool(address.postcode)


def seller_contact_name(facts: InvoiceFacts):
    return "name" in facts.seller.contact


def seller_contact_phone(facts: InvoiceFacts):
    return "phone" in facts.seller.contact


def seller_contact_email(facts: InvoiceFacts):
    return "email" in facts.seller.contact


def buyer_reference(facts: InvoiceFacts):
    return bool((facts.data.get("buyer_reference") or "").strip())


def skonto_lines(facts: InvoiceFacts):
    lines = facts.payment_terms.splitlines()
    marked = [line.strip() for line in lines if line.strip().startswith("#")]
    bad = [line for line in marked if not SKONTO.match(line)]
    if bad:
        return (
            f"payment terms whose lines starting with '#' are Skonto lines in XRechnung's "
            f"format (#SKONTO#TAGE=14#PROZENT=2.00#), or start otherwise: {bad[0]!r} is not"
        )
    return True  # the terms are written ending with a line break (facts.payment_terms)


def deliver_to_city_and_post_code(facts: InvoiceFacts):
    if not facts.writes_delivery_address or facts.buyer.address is None:
        return True
    return bool(facts.buyer.address.city and facts.buyer.address.postcode)


def electronic_address(role: str):
    def test(facts: InvoiceFacts):
        return facts.party(role).electronic_address(facts.profile) is not None

    return test


CONTACT_HINT = "(for example 'contact: Tomasz Nowak, +49 30 1234567, billing@example.de')"
ADDRESS_HINT = (
    "the e-invoicing address (a Peppol ID such as 0204 Leitweg-ID or 9930 German VAT number) "
    "or an e-mail address"
)

rule(
    "BR-DE-1",
    "payment",
    "BG-16",
    "payment instructions: how to pay, for example the IBAN",
    profiles=PROFILE,
)(payment_instructions)
rule("BR-DE-3", "seller.address", "BT-37", "the seller's city in the address", profiles=PROFILE)(
    seller_city
)
rule(
    "BR-DE-4", "seller.address", "BT-38", "the seller's post code in the address", profiles=PROFILE
)(seller_post_code)
rule(
    "BR-DE-5",
    "seller.contact.name",
    "BT-41",
    f"the seller's contact person {CONTACT_HINT}",
    profiles=PROFILE,
)(seller_contact_name)
rule(
    "BR-DE-6",
    "seller.contact.phone",
    "BT-42",
    "the seller's contact telephone number",
    profiles=PROFILE,
)(seller_contact_phone)
rule(
    "BR-DE-7",
    "seller.contact.email",
    "BT-43",
    "the seller's contact e-mail address",
    profiles=PROFILE,
)(seller_contact_email)
rule("BR-DE-8", "buyer.address", "BT-52", "the buyer's city in the address", profiles=PROFILE)(
    buyer_city
)
rule("BR-DE-9", "buyer.address", "BT-53", "the buyer's post code in the address", profiles=PROFILE)(
    buyer_post_code
)
rule(
    "BR-DE-10",
    "buyer.address",
    "BT-77",
    "the city and post code of the buyer's address, where the goods were delivered",
    profiles=PROFILE,
)(deliver_to_city_and_post_code)
rule(
    "BR-DE-15",
    "buyer_reference",
    "BT-10",
    "the buyer reference: for public bodies their Leitweg-ID (for example 991-33333TEST-33), "
    "for companies the reference they asked you to quote",
    profiles=PROFILE,
)(buyer_reference)
rule("BR-DE-18", "payment_terms", "BT-20", "Skonto lines in XRechnung's format", profiles=PROFILE)(
    skonto_lines
)
rule(
    "PEPPOL-EN16931-R020",
    "seller.electronic_address",
    "BT-34",
    f"the seller's electronic address: {ADDRESS_HINT}",
    profiles=PROFILE,
)(electronic_address("seller"))
rule(
    "PEPPOL-EN16931-R010",
    "buyer.electronic_address",
    "BT-49",
    f"the buyer's electronic address: {ADDRESS_HINT}",
    profiles=PROFILE,
)(electronic_address("buyer"))


def line_amounts(profile_slack):
    """PEPPOL-EN16931-R120: a line's net amount is quantity × net price within a slack; in a
    currency without decimals (JPY) rounding a line to whole units can break it."""

    def test(facts: InvoiceFacts):
        slack = profile_slack(facts)
        for index, item in enumerate(facts.items):
            unit_price = Decimal(item["unit_price"])
            discount = Decimal(item.get("discount_percent") or 0)
            with localcontext(prec=60):
                exact = Decimal(item["quantity"]) * (unit_price - unit_price * discount / 100)
            if abs(exact - Decimal(item["net_amount"])) > slack:
                currency = facts.data["currency"]
                return (
                    f"line {index + 1}: quantity × price is {plain(exact)} {currency}, which "
                    f"{currency} amounts cannot carry (the line says {item['net_amount']}); "
                    f"the recipient's validator allows {slack} of rounding: use a quantity and "
                    "price whose product is a whole amount"
                )
        return True

    return test


def _xrechnung_slack(facts: InvoiceFacts) -> Decimal:
    """XRechnung's R120 allows half a forint (HUF is invoiced in whole forints)."""
    return Decimal("0.5") if facts.data["currency"] == "HUF" else Decimal("0.02")


rule("PEPPOL-EN16931-R120", "items", "BT-131", "line amounts of quantity × price",
     profiles=PROFILE)(line_amounts(_xrechnung_slack))  # fmt: skip
