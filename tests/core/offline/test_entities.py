"""What is found over the whole message before it is cut into clauses (`entities.py`):
amounts it cannot read or that are negative, greetings and sign-offs, party blocks, details
in brackets, phones, tax IDs, purchase orders, contacts, and postal addresses."""

from __future__ import annotations

import pytest

from core.invoice import Contact, Party
from core.providers.offline.changes import (
    SetContact,
    SetParty,
    SetPartyDetail,
    SetPurchaseOrder,
)
from core.providers.offline.entities import (
    odd_numbers,
    strip_pleasantries,
    take_blocks,
    take_details,
)
from core.providers.offline.parties import take_address
from tests.core.offline.support import L, ask, check, draft, stored

# --- amounts that are never half-read nor made positive --------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "Invoice Acme for consulting, $1e3",
        "Invoice Acme for design 12e2 dollars",
        "invoice bolt ltd for testing 0x1F4",
        "Invoice Acme for whitening $1,000.000.00",
        "Invoice Acme for framing $8,000 and -$2,000 deposit already paid",
        "Invoice Acme for -5 hours of support at $90",
        "Invoice Acme for framing 3 prints at $-45",
        # (issue 17: "less the $300 deposit they already paid" is a prepaid amount: test_vat.py)
        "Invoice Acme for consulting 10 hours at $80, less the deposit they already paid",
    ],
)
def test_an_amount_it_cannot_read_or_a_negative_one_is_asked_about(message):
    reply = ask(message)

    assert reply.invoice is None
    assert "I haven't changed anything" in reply.reply


@pytest.mark.parametrize(
    "text",
    [
        "Invoice Acme for consulting - 40 hours - $150/h",  # dashes between parts
        "Invoice 7-Eleven, net-30, 2026-12-24",
        "Label design - 900",
        "$12.5k for the audit",
    ],
)
def test_dashes_and_ordinary_numbers_are_not_minus_signs(text):
    assert odd_numbers(text) is None


def test_a_negative_line_in_an_edit_leaves_the_invoice_as_it_was():
    invoice = stored(draft(buyer="Acme", lines=[L("Audit", "1", "5000")]))

    reply = ask("add a credit of -$500", invoice)

    assert reply.invoice is None
    assert "can't be negative" in reply.reply


# --- what carries no invoice content ---------------------------------------------------------


def test_greetings_pleasantries_and_sign_offs_go():
    text = (
        "Hi team,\n\nHope you're well! Please invoice Acme for design $500.\n"
        "Let me know if you need anything else.\n\nMany thanks,\nAna"
    )

    assert strip_pleasantries(text) == "Please invoice Acme for design $500."


def test_a_message_wrapped_in_pleasantries_creates_the_invoice():
    reply = ask(
        "Good morning, please bill Kessler & Sons for the kitchen remodel consultation, 3 site "
        "visits at 180 each, plus 6% sales tax. Many thanks, Ana"
    )

    expected = draft(
        buyer="Kessler & Sons",
        lines=[L("Kitchen remodel consultation – site visits", "3", "180", tax="6")],
    )
    check(reply, expected, "572.40")


# --- details ---------------------------------------------------------------------------------


def test_details_in_brackets_belong_to_the_party_before_them():
    details = take_details(
        "From Maple Web Co (billing@mapleweb.ca, 604-555-0147) to Cascade (ap@cascade.ca): x"
    )

    assert set(details.changes) == {
        SetPartyDetail("seller", "email", "billing@mapleweb.ca"),
        SetPartyDetail("seller", "phone", "604-555-0147"),
        SetPartyDetail("buyer", "email", "ap@cascade.ca"),
    }
    assert details.text == "From Maple Web Co to Cascade: x"


def test_tax_ids_purchase_orders_and_contacts():
    details = take_details(
        "Bill Harlow Group for CRM setup $2,200. Their VAT number is GB 123 4567 89. Our "
        "company is Fox Digital Ltd, VAT GB987654321. PO-88213, attn Dr. Hoa Nguyen"
    )

    assert set(details.changes) == {
        SetPartyDetail("buyer", "tax_id", "GB 123 4567 89"),
        SetPartyDetail("seller", "tax_id", "GB987654321"),
        SetPurchaseOrder("PO-88213"),
        SetContact("Dr. Hoa Nguyen"),
    }


def test_a_tax_id_nobody_owns_is_asked_about():
    details = take_details("tax id DE123456789")

    assert details.changes == []
    assert "your tax ID or the client's" in details.questions[0].text


def test_a_purchase_order_in_a_note_stays_in_the_note():
    assert take_details("note: PO #4471").changes == []
    assert take_details("add our PO number 4471 to the notes").changes == []


@pytest.mark.parametrize(
    ("text", "address", "rest"),
    [
        (", Hauptstr. 5, 10115 Berlin, for design", "Hauptstr. 5, 10115 Berlin", ", for design"),
        (", 14 Rue de la Paix, 75002 Paris, for", "14 Rue de la Paix, 75002 Paris", ", for"),
        (", 1 Canada Sq., London E14 5AB, for", "1 Canada Sq., London E14 5AB", ", for"),
        (", Neuer Wall 10, 20354 Hamburg for GDPR", "Neuer Wall 10, 20354 Hamburg", " for GDPR"),
        (", 12 Palm Ave., Naples, FL 34102", "12 Palm Ave., Naples, FL 34102", ""),
        (", 2 days of training at $900/day", None, ", 2 days of training at $900/day"),
        (", 2000 Widgets at $5", None, ", 2000 Widgets at $5"),
    ],
)
def test_postal_addresses_written_the_european_and_the_american_way(text, address, rest):
    assert take_address(text) == (address, rest)


def test_a_party_block_over_several_lines():
    text, changes, questions = take_blocks(
        "Invoice to:\nBakker & Zonen B.V.\nKeizersgracht 123\n1015 CJ Amsterdam\n"
        "VAT: NL123456789B01\n\nFor: consultancy, 3 days at €850/day"
    )

    assert set(changes) == {
        SetParty("buyer", "Bakker & Zonen B.V."),
        SetPartyDetail("buyer", "address", "Keizersgracht 123, 1015 CJ Amsterdam"),
        SetPartyDetail("buyer", "tax_id", "NL123456789B01"),
    }
    assert questions == []
    assert text.strip() == "For: consultancy, 3 days at €850/day"


def test_buyer_and_seller_blocks_in_one_message():
    reply = ask(
        "From: Studio Nord, Torstr. 12, 10119 Berlin, USt-IdNr. DE298765432\n"
        "To: Hoffmann Verlag GmbH, Am Markt 3, 50667 Köln\n"
        "Book cover design 1.800,00 €"
    )

    expected = draft(
        seller=Party("Studio Nord", address="Torstr. 12, 10119 Berlin", tax_id="DE298765432"),
        buyer=Party("Hoffmann Verlag GmbH", address="Am Markt 3, 50667 Köln"),
        currency="EUR",
        lines=[L("Book cover design", "1", "1800")],
    )
    check(reply, expected, "1800.00")


def test_the_purchase_order_and_the_contact_person():
    reply = ask(
        "Invoice Crown Hotels for the POS rollout, $6,500. Their PO number is PO-88213. "
        "Contact: Maria Keller, maria.keller@crownhotels.com"
    )

    expected = draft(
        buyer=Party(
            "Crown Hotels", email="maria.keller@crownhotels.com", contact=Contact("Maria Keller")
        ),
        lines=[L("POS rollout", "1", "6500")],
        purchase_order="PO-88213",
    )
    check(reply, expected, "6500.00")
