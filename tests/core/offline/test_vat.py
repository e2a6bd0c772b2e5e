"""VAT categories and amounts already paid, read by the offline engine (`vat.py`, issue 17).

Phrases are tested in families (several wordings each), through the whole engine so that the
category, the exemption reason and the prepaid amount land in the draft the core prices.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.invoice import price_invoice
from core.providers.offline.vat import (
    SetPrepaid,
    SetVatCategory,
    take_prepaid,
    take_vat_categories,
)
from core.schemas import load_draft
from tests.core.offline.support import TODAY, Conversation

BOTH_VAT_NUMBERS = "My company is Atelier Blanc, VAT FR40303265045. Their VAT number is DE136695976"


def priced(conversation: Conversation):
    assert conversation.invoice is not None, conversation.history[-1].content
    return price_invoice(load_draft(conversation.invoice), "T", today=TODAY)


def say(*messages: str) -> Conversation:
    conversation = Conversation()
    for message in messages:
        conversation.say(message)
    return conversation


# --- categories -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, category",
    [
        ("reverse charge", "AE"),
        ("no VAT - reverse charge applies", "AE"),
        ("VAT reverse charged to the customer", "AE"),
        ("reverse-charge mechanism", "AE"),
        ("Steuerschuldnerschaft des Leistungsempfängers", "AE"),
        ("the customer accounts for the VAT", "AE"),
        ("autoliquidation", "AE"),
        ("intra-community supply", "K"),
        ("it's an intra-EU delivery", "K"),
        ("innergemeinschaftliche Lieferung", "K"),
        ("export outside the EU", "G"),
        ("exported to a third country", "G"),
        ("Ausfuhrlieferung", "G"),
        ("not subject to VAT", "O"),
        ("outside the scope of VAT", "O"),
    ],
)
def test_a_category_phrase_marks_every_line(phrase, category):
    conversation = say(
        "Invoice Kessler Optik GmbH for lens coating €6,000 and shipping €200",
        BOTH_VAT_NUMBERS,
        phrase,
    )

    invoice = priced(conversation)

    assert [line.tax_category for line in invoice.items] == [category, category]
    assert invoice.tax_total == 0
    assert [row.tax_category for row in invoice.tax_breakdown] == [category]


@pytest.mark.parametrize(
    "phrase, code, words",
    [
        ("VAT exempt under Article 132", "VATEX-EU-132", "Article 132"),
        ("exempt from VAT under Article 132(1)(c)", "VATEX-EU-132-1C", "Article 132(1)(c)"),
        ("VAT-exempt per Art. 135(1)(b)", None, "Art. 135(1)(b)"),
        ("exempt under §4 Nr. 14 UStG", None, "§4 Nr. 14 UStG"),
        ("small business, no VAT (§19 UStG)", None, "§ 19 UStG"),
        ("Kleinunternehmer, keine USt", None, "§ 19 UStG"),
        ("TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE", "293 B"),
    ],
)
def test_an_exemption_with_a_reason_is_category_e_with_that_reason(phrase, code, words):
    conversation = say(f"Invoice Clinica Sol for patient transport €320, {phrase}")

    line = priced(conversation).items[0]

    assert line.tax_category == "E", conversation.history[-1].content
    assert line.exemption_reason is not None
    assert line.exemption_reason.code == code
    assert words in (line.exemption_reason.text or "")


def test_an_exemption_without_a_reason_stays_zero_tax_as_before():
    conversation = say("Invoice Hillside Food Bank for 40 boxes at $12, they're tax exempt")

    line = priced(conversation).items[0]

    assert (line.tax_rate, line.tax_category, line.exemption_reason) == (0, "Z", None)


def test_a_category_said_of_one_line_marks_that_line_only():
    conversation = say(
        "Invoice Clinica Sol for patient transport €320 and parking €20 with 21% VAT",
        "the patient transport is exempt under Article 132(1)(p)",
    )

    lines = priced(conversation).items

    assert [(line.tax_category, line.tax_rate) for line in lines] == [
        ("E", Decimal(0)),
        ("S", Decimal(21)),
    ]


def test_zero_rated_said_of_the_invoice_undoes_a_category():
    conversation = say(
        "Invoice Kessler Optik GmbH for lens coating €6,000", BOTH_VAT_NUMBERS, "reverse charge"
    )
    conversation.say("sorry, it's zero-rated")

    assert priced(conversation).items[0].tax_category == "Z"


def test_a_rate_said_later_makes_the_line_standard_rated_again():
    conversation = say(
        "Invoice Kessler Optik GmbH for lens coating €6,000", BOTH_VAT_NUMBERS, "reverse charge"
    )
    conversation.say("actually charge 19% VAT")

    line = priced(conversation).items[0]
    assert (line.tax_category, line.tax_rate, line.exemption_reason) == ("S", 19, None)


def test_reverse_charge_without_vat_numbers_is_asked_about_and_then_applied():
    conversation = Conversation()
    first = conversation.say(
        "Invoice Weber AG for data engineering 40 hours at €110, reverse charge"
    )

    assert first.invoice is None
    assert "VAT number" in first.reply

    conversation.say(
        "their VAT ID is DE811569869, my company is Bureau Marchand, VAT FR40303265045"
    )

    invoice = priced(conversation)
    assert invoice.buyer is not None and invoice.buyer.tax_id == "DE811569869"
    assert invoice.items[0].tax_category == "AE"


def test_company_names_with_export_in_them_are_no_export():
    conversation = say("Invoice Mehta Exports for software licences ₹2,50,000")

    assert priced(conversation).items[0].tax_category == "Z"
    assert take_vat_categories("Invoice Mehta Exports for licences")[1] == []


def test_the_phrase_is_cut_out_of_the_message():
    text, changes = take_vat_categories(
        "design €500, no VAT - reverse charge applies, due in 30 days"
    )

    assert changes == [SetVatCategory("AE")]
    assert "reverse" not in text and "due in 30 days" in text and "design €500" in text


# --- amounts already paid ------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, amount",
    [
        ("already paid 500", "500"),
        ("they already paid €500", "500"),
        ("they paid €1,000 upfront", "1000"),
        ("deposit of €200 received", "200"),
        ("we received a deposit of €250", "250"),
        ("a €600 deposit was paid in advance", "600"),
        ("€300 paid in advance", "300"),
        ("less the €200 deposit they already paid", "200"),
        ("minus a €150 deposit", "150"),
        ("prepaid: 400", "400"),
    ],
)
def test_an_amount_already_paid_is_the_prepaid_amount(phrase, amount):
    conversation = say(f"Invoice Ridge Events for stage hire €3,000, {phrase}")

    invoice = priced(conversation)

    assert invoice.prepaid_amount == Decimal(amount)
    assert invoice.amount_due == invoice.total - Decimal(amount)
    assert [line.description for line in invoice.items] == ["Stage hire"]


@pytest.mark.parametrize(
    "message",
    [
        "Invoice Ridge Events for a 50% deposit on stage hire, €1,500",  # asks for a deposit
        "Invoice Ridge Events for stage hire €3,000, paid by bank transfer",
    ],
)
def test_a_deposit_not_said_to_be_paid_is_no_prepaid_amount(message):
    assert take_prepaid(message, None)[1] == []


def test_a_minus_sign_is_still_asked_about():
    reply = Conversation().say(
        "Invoice Stone Builders for masonry $6,000 and -$1,500 deposit already paid"
    )

    assert reply.invoice is None


def test_more_paid_than_the_total_is_refused_and_two_amounts_are_asked_about():
    too_much = Conversation().say(
        "Invoice Hale Dental for the service contract $1,800, $3,000 already paid"
    )
    two = take_prepaid("deposit of $200 received, already paid $300", None)

    assert too_much.invoice is None and "more than the total" in too_much.reply
    assert two[1] == [] and "Which amount" in two[2][0].text


def test_the_prepaid_amount_can_be_removed():
    conversation = say("Invoice Tern Studio for brand workshop $3,000, already paid $500")
    conversation.say("remove the prepayment")

    assert priced(conversation).prepaid_amount is None
    (change,) = take_prepaid("already paid $500", None)[1]
    assert isinstance(change, SetPrepaid) and change.amount.amount == 500


def test_the_vat_numbers_can_come_one_at_a_time():
    conversation = Conversation()
    first = conversation.say("Invoice Kessler Optik GmbH for lens coating €6,000, reverse charge")
    second = conversation.say("their VAT number is DE129273398")

    assert "the client's VAT number and your VAT number" in first.reply
    assert second.invoice is None and "needs your VAT number" in second.reply

    conversation.say("My company is Atelier Blanc, VAT FR27514868827")

    invoice = priced(conversation)
    assert invoice.items[0].tax_category == "AE"
    assert invoice.seller is not None and invoice.seller.tax_id == "FR27514868827"


def test_another_refusal_is_no_vat_number_question():
    conversation = Conversation()
    reply = conversation.say(
        "Invoice Hale Dental for the service contract $1,800, $3,000 already paid"
    )
    follow_up = conversation.say("their VAT number is DE129273398")

    assert "VAT number" not in reply.reply
    assert follow_up.invoice is None  # not read together with the refused message
