"""E-invoice scenarios: invoices as a German, a Belgian, a French and a Dutch small business
would send them, and a generator of complete invoices across VAT categories, rates, currencies
and profiles. Drafts are JSON as a provider states them (the scripted provider of the API tests
takes them as they are); `priced(draft)` is the core's invoice JSON.

Every identifier passes its check digits (python-stdnum): VAT numbers, IBANs, BICs, the
Belgian enterprise number, the SIREN, the Leitweg-ID.
"""

from __future__ import annotations

import copy
import random
from datetime import date, timedelta
from typing import Any

from core.invoice import price_invoice
from core.schemas import dump_invoice, load_draft

ISSUED = date(2026, 3, 2)

# --- parties -----------------------------------------------------------------------------------

GERMAN_SELLER = {
    "name": "Anna Schmidt",
    "company": "Schmidt IT GmbH",
    "email": "rechnung@schmidt-it.example",
    "phone": "+49 30 1234567",
    "address": "Hauptstraße 1, 10115 Berlin, Germany",
    "tax_id": "DE811907980",
    "electronic_address": {"scheme": "9930", "value": "DE811907980"},
}
GERMAN_PUBLIC_BUYER = {
    "name": "Referat Beschaffung",
    "company": "Bundesamt für Beispiele",
    "address": "Amtsweg 2, 53113 Bonn, Germany",
    "electronic_address": {"scheme": "0204", "value": "991-33333TEST-33"},
}
GERMAN_COMPANY_BUYER = {
    "name": "Einkauf",
    "company": "Muster AG",
    "email": "einkauf@muster.example",
    "address": "Marktplatz 3, 80331 München, Germany",
    "tax_id": "DE136695976",
    "electronic_address": {"scheme": "9930", "value": "DE136695976"},
}
BELGIAN_SELLER = {
    "name": "Luc Peeters",
    "company": "Peeters Consult BV",
    "email": "luc@peeters.example",
    "phone": "+32 2 555 01 00",
    "address": "Grote Markt 1, 1000 Brussel, Belgium",
    "tax_id": "BE0403019261",
    "electronic_address": {"scheme": "0208", "value": "0403019261"},
}
FRENCH_SELLER = {
    "name": "Jean Martin",
    "company": "Martin Conseil SARL",
    "email": "jean@martin-conseil.example",
    "phone": "+33 1 23 45 67 89",
    "address": "12 Rue de la Paix, 75002 Paris, France",
    "tax_id": "FR40303265045",
    "electronic_address": {"scheme": "0002", "value": "303265045"},
}
FRENCH_BUYER = {
    "name": "Service comptabilité",
    "company": "Client Lyonnais SA",
    "email": "compta@client-lyon.example",
    "address": "5 Avenue Foch, 69006 Lyon, France",
    "tax_id": "FR40303265045",
    "electronic_address": {"scheme": "0009", "value": "30326504500003"},
}
DUTCH_SELLER = {
    "name": "Jan de Vries",
    "company": "De Vries Ontwerp BV",
    "email": "jan@devries.example",
    "phone": "+31 20 555 0100",
    "address": "Keizersgracht 1, 1015 CJ Amsterdam, Netherlands",
    "tax_id": "NL853746333B01",
    "electronic_address": {"scheme": "0106", "value": "12345678"},
}
DUTCH_PUBLIC_BUYER = {
    "name": "Inkoop",
    "company": "Gemeente Voorbeeld",
    "email": "facturen@voorbeeld.example",
    "address": "Raadhuisplein 1, 2511 AB Den Haag, Netherlands",
    "electronic_address": {"scheme": "0190", "value": "00000001234567890000"},
}
US_BUYER = {
    "name": "Accounts Payable",
    "company": "Pacific Widgets Inc",
    "email": "ap@pacific.example",
    "address": "1 Market St, San Francisco, CA 94105, USA",
    "electronic_address": {"scheme": "0060", "value": "123456789"},
}
PAYMENTS = {
    "DE": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    "BE": {"iban": "BE71096123456769", "bic": "GKCCBEBB"},
    "FR": {"iban": "FR1420041010050500013M02606", "bic": "BNPAFRPP"},
    "NL": {"iban": "NL91ABNA0417164300", "bic": "ABNANL2A"},
}


def _line(description: str, quantity: str, price: str, rate: str, **more: Any) -> dict:
    return {
        "description": description,
        "quantity": quantity,
        "unit_price": price,
        "tax_rate": rate,
        **more,
    }


# --- the four scenarios -----------------------------------------------------------------------

GERMAN = {  # XRechnung to a federal body: Leitweg-ID, IBAN, seller contact
    "currency": "EUR",
    "issue_date": ISSUED.isoformat(),
    "due_date": (ISSUED + timedelta(days=30)).isoformat(),
    "delivery_date": "2026-02-27",
    "seller": {**GERMAN_SELLER, "contact": {"name": "Anna Schmidt", "phone": "+49 30 1234567"}},
    "buyer": GERMAN_PUBLIC_BUYER,
    "buyer_reference": "991-33333TEST-33",
    "items": [
        _line("Softwareentwicklung", "32", "95.00", "19", unit="hours"),
        _line("Fachbuch", "2", "49.90", "7", unit="pcs"),
    ],
    "payment_terms": "Zahlbar innerhalb von 30 Tagen",
    "payment": {**PAYMENTS["DE"], "account_name": "Schmidt IT GmbH", "reference": "RE 2026-17"},
}
BELGIAN = {  # Peppol, reverse charge intra-EU B2B: both VAT numbers, EAS 0208 and 9930
    "currency": "EUR",
    "issue_date": ISSUED.isoformat(),
    "due_date": (ISSUED + timedelta(days=30)).isoformat(),
    "seller": BELGIAN_SELLER,
    "buyer": GERMAN_COMPANY_BUYER,
    "purchase_order": "PO 4711",
    "items": [
        _line("Consultancy", "12", "110.00", "0", unit="hours", tax_category="AE"),
        _line("Workshop", "1", "900.00", "0", tax_category="AE"),
    ],
    "payment": PAYMENTS["BE"],
}
FRENCH = {  # EN 16931 / Factur-X: SIREN as the seller's address, an exempt training course
    "currency": "EUR",
    "issue_date": ISSUED.isoformat(),
    "due_date": (ISSUED + timedelta(days=45)).isoformat(),
    "seller": FRENCH_SELLER,
    "buyer": FRENCH_BUYER,
    "purchase_order": "BC-2026-118",
    "items": [
        _line("Conseil en organisation", "5", "800.00", "20", unit="days"),
        _line(
            "Formation professionnelle continue",
            "1",
            "1200.00",
            "0",
            tax_category="E",
            exemption_reason={
                "code": "VATEX-FR-CGI261-4",
                "text": "Exonération de TVA, article 261-4-4° du CGI",
            },
        ),
    ],
    "discount": {"kind": "percent", "value": "5"},
    "payment_terms": "Paiement à 45 jours",
    "payment": PAYMENTS["FR"],
}
DUTCH = {  # Peppol to a municipality: KvK as the seller's address, OIN as the buyer's
    "currency": "EUR",
    "issue_date": ISSUED.isoformat(),
    "due_date": (ISSUED + timedelta(days=30)).isoformat(),
    "seller": DUTCH_SELLER,
    "buyer": DUTCH_PUBLIC_BUYER,
    "buyer_reference": "INK-2026-0042",
    "items": [
        _line("Ontwerp huisstijl", "20", "85.00", "21", unit="hours"),
        _line("Drukwerk", "500", "0.45", "9", unit="pcs"),
    ],
    "prepaid_amount": "500.00",
    "payment": {**PAYMENTS["NL"], "reference": "INK-2026-0042"},
}
# (draft, [(syntax, profile), …]): the exports each scenario is sent as
SCENARIOS = {
    "german": (GERMAN, [("ubl", "xrechnung"), ("cii", "xrechnung"), ("ubl", "en16931")]),
    "belgian": (BELGIAN, [("ubl", "peppol"), ("ubl", "en16931"), ("cii", "en16931")]),
    "french": (FRENCH, [("ubl", "en16931"), ("cii", "en16931")]),
    "dutch": (DUTCH, [("ubl", "peppol"), ("ubl", "en16931")]),
}
EXPORTS = [("ubl", "en16931"), ("cii", "en16931"), ("ubl", "xrechnung"), ("cii", "xrechnung"),
           ("ubl", "peppol")]  # fmt: skip


def priced(draft: dict[str, Any], number: str | None = "2026-0001", **record: Any) -> dict:
    """The core's invoice JSON for `draft` (as `InvoiceSchema` stores it), with `record`
    fields (type, status) set as the records module would."""
    invoice = dump_invoice(price_invoice(load_draft(draft), number, today=ISSUED))
    return {**invoice, **record}


def credit_note(draft: dict[str, Any], credits: str = "2026-0001") -> dict:
    """A credit note reversing `draft` in full and referring to the invoice it credits."""
    stated = {**draft, "preceding_invoice": {"number": credits, "issue_date": ISSUED.isoformat()}}
    return priced(stated, "CN-2026-0001", type="credit_note", status="issued")


# --- complete invoices, generated -------------------------------------------------------------

RATES = {"DE": ("19", "7"), "BE": ("21", "6"), "FR": ("20", "5.5", "10"), "NL": ("21", "9")}
SELLERS = {"DE": GERMAN_SELLER, "BE": BELGIAN_SELLER, "FR": FRENCH_SELLER, "NL": DUTCH_SELLER}
BUYERS = {
    "DE": GERMAN_COMPANY_BUYER,
    "FR": FRENCH_BUYER,
    "NL": {**DUTCH_PUBLIC_BUYER, "tax_id": "NL853746333B01"},
    "US": US_BUYER,
}
# What a line may be, by the relation of seller and buyer: domestic, intra-EU, outside the EU.
SITUATIONS = {
    "domestic": (("S",), ("S", "Z"), ("S", "E"), ("O",)),
    "eu": (("AE",), ("AE", "S"), ("K",), ("S",)),
    "export": (("G",), ("G", "O"), ("O",)),
}
EXEMPTIONS = (
    {"code": "VATEX-EU-132-1C", "text": "Medical care, art. 132(1)(c) VAT Directive"},
    {"code": "VATEX-EU-132-1I", "text": "Education, art. 132(1)(i) VAT Directive"},
    {"code": "VATEX-EU-135-1", "text": None},
)
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP", "CHF", "SEK", "JPY")


def complete_invoice(rng: random.Random) -> dict[str, Any]:
    """A draft with everything every profile asks for, its parties, categories, rates and
    currency drawn by `rng` (VAT categories consistent with where seller and buyer are)."""
    seller_country = rng.choice(sorted(SELLERS))
    buyer_country = rng.choice(sorted(BUYERS))
    if buyer_country == "US":
        situation = "export"
    elif buyer_country == seller_country:
        situation = "domestic"
    else:
        situation = "eu"
    categories = rng.choice(SITUATIONS[situation])
    if "O" in categories:
        categories = ("O",)  # BR-O-11: nothing else on the invoice
    seller = copy.deepcopy(SELLERS[seller_country])
    seller["contact"] = {"name": seller["name"], "phone": seller["phone"]}
    buyer = copy.deepcopy(BUYERS[buyer_country])
    if seller_country == buyer_country == "NL":
        buyer = copy.deepcopy(DUTCH_PUBLIC_BUYER)  # NL-R-005: a Dutch buyer's KvK or OIN
    exemption = rng.choice(EXEMPTIONS)
    currency = rng.choice(CURRENCIES)
    # Yen have no decimals: a line of 3.5 × ¥0.125 would round by more than the 0.02 Peppol
    # and XRechnung allow (PEPPOL-EN16931-R120), so yen lines are whole.
    whole = currency == "JPY"
    items = []
    for index in range(rng.randint(1, 8)):
        category = categories[index % len(categories)]
        quantities = ["1", "2", "12", "40", "1000"] + ([] if whole else ["3.5", "0.25"])
        prices = ["110", "1200", "85"] + ([] if whole else ["0.45", "9.99", "1234.56", "0.125"])
        unit = rng.choice([None, "hours", "days", "pcs", "kg", "months"])
        line = _line(
            f"Item {index + 1}", rng.choice(quantities), rng.choice(prices), "0", unit=unit
        )
        if rng.random() < 0.25 and not whole:
            line["discount_percent"] = rng.choice(["5", "10", "12.5"])
        if category == "S":
            line["tax_rate"] = rng.choice(RATES[seller_country])
        elif category != "Z":
            line["tax_category"] = category
            if category == "E":
                line["exemption_reason"] = exemption
        items.append(line)
    draft = {
        "currency": currency,
        "issue_date": ISSUED.isoformat(),
        "due_date": (ISSUED + timedelta(days=rng.choice([0, 14, 30, 60]))).isoformat(),
        "delivery_date": (ISSUED - timedelta(days=rng.randint(0, 20))).isoformat(),
        "seller": seller,
        "buyer": buyer,
        "buyer_reference": rng.choice(["991-33333TEST-33", "PO-2026-77", "Kostenstelle 4711"]),
        "purchase_order": rng.choice([None, "PO 4711", "BC-118"]),
        "items": items,
        "payment_terms": rng.choice([None, "Net 30", "30 days net"]),
        "notes": rng.choice([None, "Thank you for your business."]),
        "payment": {
            **PAYMENTS[seller_country],
            "means_code": "58" if currency == "EUR" else "30",
            "reference": rng.choice([None, "RF18539007547034"]),
        },
    }
    if rng.random() < 0.3:
        draft["discount"] = {"kind": "percent", "value": rng.choice(["2", "5", "10"])}
    if rng.random() < 0.2:  # half paid in advance
        total = price_invoice(load_draft(draft), None, today=ISSUED).total
        draft["prepaid_amount"] = format(total / 2, "f")
    return draft


# Fields whose absence each profile must notice, and the field it must then name.
REQUIRED = {
    "en16931": ("seller.address", "buyer.address", "seller.tax_id", "number", "due_date"),
    "xrechnung": ("buyer_reference", "payment", "seller.contact.phone", "seller.contact.email",
                  "seller.electronic_address", "buyer.electronic_address", "seller.address"),
    "peppol": ("buyer_reference", "seller.electronic_address", "buyer.electronic_address",
               "buyer.address"),
}  # fmt: skip


def without(invoice: dict[str, Any], field: str) -> dict[str, Any]:
    """The invoice JSON with `field` taken away ('seller.tax_id', 'number', …); a buyer
    reference goes with the purchase order (either satisfies Peppol), the contact's phone and
    e-mail with the party's."""
    invoice = copy.deepcopy(invoice)
    if field == "buyer_reference":
        invoice["buyer_reference"] = invoice["purchase_order"] = None
    elif field == "due_date":
        invoice["due_date"] = invoice["payment_terms"] = None
    elif field in ("seller.contact.phone", "seller.contact.email"):
        key = field.rsplit(".", 1)[1]
        invoice["seller"][key] = None
        invoice["seller"]["contact"] = {**(invoice["seller"].get("contact") or {}), key: None}
    elif field.endswith(".electronic_address"):
        role = field.split(".")[0]
        invoice[role]["electronic_address"] = invoice[role]["email"] = None
    elif "." in field:
        role, key = field.split(".")
        invoice[role][key] = None
    else:
        invoice[field] = None
    return invoice
