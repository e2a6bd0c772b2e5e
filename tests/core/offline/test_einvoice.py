"""E-invoice fields in words, read by the offline engine (`einvoice.py`, issue 17).

Each field is tested in families of wordings through the whole engine, so that what is read
lands in the draft the core prices (and the payment means the core derives); invalid values
are questions that leave the invoice unchanged.
"""

from __future__ import annotations

from datetime import date

import pytest

from core.invoice import price_invoice
from core.providers.offline.einvoice import take_einvoice_fields
from core.schemas import load_draft
from tests.core.offline.support import TODAY, Conversation

START = "Invoice Kranich Logistik for route planning €2,100"
WITH_SELLER = "My company is Pixel Studio. " + START


def say(*messages: str) -> Conversation:
    conversation = Conversation()
    for message in messages:
        conversation.say(message)
    return conversation


def draft(conversation: Conversation):
    assert conversation.invoice is not None, conversation.history[-1].content
    return load_draft(conversation.invoice)


def last_reply(conversation: Conversation) -> str:
    return conversation.history[-1].content


# --- buyer reference --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, reference",
    [
        ("their Leitweg-ID is 991-33333TEST-33", "991-33333TEST-33"),
        ("Leitweg-ID: 04011000-12345-03", "04011000-12345-03"),
        ("leitweg id 04011000-12345-03", "04011000-12345-03"),
        ("buyer reference: ABC-123", "ABC-123"),
        ("buyer's reference ABC-123", "ABC-123"),
        ("Käuferreferenz K-2026-9", "K-2026-9"),
        ("their reference is HAL-OPS-4", "HAL-OPS-4"),
        ("the client's reference: NW/PRJ-0815", "NW/PRJ-0815"),
        ("customer reference 77812", "77812"),
        ("Ihr Zeichen AZ-17", "AZ-17"),
    ],
)
def test_a_buyer_reference_in_many_words(phrase: str, reference: str) -> None:
    conversation = say(f"{START}, {phrase}")
    assert draft(conversation).buyer_reference == reference
    assert draft(conversation).purchase_order is None
    assert f"Buyer reference: {reference}" in last_reply(conversation)


def test_a_po_next_to_a_buyer_reference_stays_the_po() -> None:
    invoice = draft(say(f"{START}, PO 88213, their reference is HAL-OPS-4"))
    assert (invoice.purchase_order, invoice.buyer_reference) == ("88213", "HAL-OPS-4")


@pytest.mark.parametrize("phrase", ["our reference is X-1", "reference: X-1", "my reference X-1"])
def test_a_reference_not_said_to_be_the_clients_is_not_read_as_one(phrase: str) -> None:
    text, changes, questions = take_einvoice_fields(f"{START}, {phrase}", TODAY)
    assert changes == [] and questions == []


def test_a_leitweg_id_with_wrong_check_digits_is_a_question() -> None:
    conversation = say(f"{START}, their Leitweg-ID is 04011000-12345-67")
    assert conversation.invoice is None
    assert "not a valid Leitweg-ID" in last_reply(conversation)


def test_a_leitweg_id_as_their_electronic_address_is_both() -> None:
    invoice = draft(say(f"{START}, Leitweg-ID 991-33333TEST-33 as their electronic address"))
    assert invoice.buyer_reference == "991-33333TEST-33"
    assert invoice.buyer.electronic_address.scheme == "0204"
    assert invoice.buyer.electronic_address.value == "991-33333TEST-33"


# --- payment ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "pay to IBAN DE89 3704 0044 0532 0130 00",
        "Please pay to IBAN DE89370400440532013000",
        "IBAN: DE89 3704 0044 0532 0130 00",
        "our IBAN is DE89 3704 0044 0532 0130 00",
        "bank transfer to DE89 3704 0044 0532 0130 00",
        "payment to DE89 3704 0044 0532 0130 00",
        "Überweisung auf DE89 3704 0044 0532 0130 00",
    ],
)
def test_an_iban_in_many_words_makes_a_sepa_credit_transfer_in_euros(phrase: str) -> None:
    invoice = draft(say(f"{START}. {phrase}"))
    assert invoice.payment.iban == "DE89370400440532013000"
    priced = price_invoice(invoice, "T", today=TODAY)
    assert priced.payment.means_code == "58"
    assert [i.description for i in invoice.items] == ["Route planning"]


def test_an_iban_in_pounds_is_a_credit_transfer() -> None:
    invoice = draft(
        say("Invoice Brightline Ltd for editing £600, pay to GB29 NWBK 6016 1331 9268 19")
    )
    assert price_invoice(invoice, "T", today=TODAY).payment.means_code == "30"


def test_bic_holder_and_reference() -> None:
    invoice = draft(
        say(
            f"{START}. IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX, account holder Jane "
            "Doe, payment reference INV-42"
        )
    )
    payment = invoice.payment
    assert (payment.bic, payment.account_name, payment.reference) == (
        "COBADEFFXXX",
        "Jane Doe",
        "INV-42",
    )


@pytest.mark.parametrize(
    "phrase, field, value",
    [
        ("Kontoinhaber Lena Vogt", "account_name", "Lena Vogt"),
        ("beneficiary: Pixel Studio GmbH", "account_name", "Pixel Studio GmbH"),
        ("Verwendungszweck RE-2026-11", "reference", "RE-2026-11"),
        ("please quote reference INV-7", "reference", "INV-7"),
        ("SWIFT code DEUTDEFF", "bic", "DEUTDEFF"),
    ],
)
def test_payment_details_in_other_words(phrase: str, field: str, value: str) -> None:
    invoice = draft(say(START, phrase))
    assert getattr(invoice.payment, field) == value


@pytest.mark.parametrize(
    "phrase, code",
    [
        ("bank transfer please", "30"),
        ("payment by wire transfer", "30"),
        ("per Überweisung", "30"),
        ("SEPA credit transfer", "58"),
        ("payable by cheque", "20"),
        ("payment in cash", "10"),
    ],
)
def test_payment_means_in_words(phrase: str, code: str) -> None:
    invoice = draft(say(START, phrase))
    assert price_invoice(invoice, "T", today=TODAY).payment.means_code == code


def test_bank_transfer_then_an_iban_lets_the_core_choose_sepa() -> None:
    invoice = draft(say(START, "bank transfer", "IBAN DE89 3704 0044 0532 0130 00"))
    assert price_invoice(invoice, "T", today=TODAY).payment.means_code == "58"


@pytest.mark.parametrize(
    "phrase, words",
    [
        ("pay to IBAN DE89 3704 0044 0532 0130 01", "not a valid IBAN"),
        ("IBAN: DE00 1234", "does not look like an IBAN"),
        ("BIC GKCCXXBB", "not a valid BIC"),
        ("their IBAN is DE89 3704 0044 0532 0130 00", "the account the client pays into"),
    ],
)
def test_a_bad_or_misplaced_account_is_a_question(phrase: str, words: str) -> None:
    conversation = say(START)
    before = conversation.invoice
    conversation.say(phrase)
    assert conversation.invoice == before
    assert words in last_reply(conversation)


def test_a_vat_number_that_looks_like_an_iban_stays_a_vat_number() -> None:
    invoice = draft(say("Invoice Bakker BV for consultancy €900. Their VAT: NL123456789B01"))
    assert invoice.payment is None
    assert invoice.buyer.tax_id == "NL123456789B01"


# --- contacts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "our contact is Tomasz Nowak, +48 22 555 0100, tomasz@pixelstudio.pl",
        "my contact details: Tomasz Nowak, tomasz@pixelstudio.pl, +48 22 555 0100",
        "Our contact person: Tomasz Nowak (+48 22 555 0100, tomasz@pixelstudio.pl)",
        "unser Ansprechpartner ist Tomasz Nowak, Tel. +48 22 555 0100, E-Mail "
        "tomasz@pixelstudio.pl",
    ],
)
def test_the_sellers_contact_with_phone_and_email(phrase: str) -> None:
    invoice = draft(say(f"{WITH_SELLER}. {phrase}"))
    contact = invoice.seller.contact
    assert (contact.name, contact.phone, contact.email) == (
        "Tomasz Nowak",
        "+48 22 555 0100",
        "tomasz@pixelstudio.pl",
    )
    assert invoice.buyer.contact is None


@pytest.mark.parametrize(
    "phrase",
    [
        "their contact person is Jens Petersen, jens@hanse.de",
        "the client's contact is Jens Petersen, jens@hanse.de",
        "ihr Ansprechpartner: Jens Petersen, jens@hanse.de",
    ],
)
def test_the_clients_contact(phrase: str) -> None:
    invoice = draft(say(START, phrase))
    assert (invoice.buyer.contact.name, invoice.buyer.contact.email) == (
        "Jens Petersen",
        "jens@hanse.de",
    )
    assert invoice.seller is None


def test_the_sellers_contact_before_the_seller_is_known_is_asked_about() -> None:
    conversation = say(START, "our contact is Tomasz Nowak, +48 22 555 0100")
    assert conversation.invoice is not None
    assert draft(conversation).seller is None
    assert "Whose contact" in last_reply(conversation)


# --- electronic addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, role, scheme, value",
    [
        ("their Peppol ID is 0208:0477472701", "buyer", "0208", "0477472701"),
        ("client's Peppol participant ID: 0088:4000001000005", "buyer", "0088", "4000001000005"),
        ("our e-invoice address is 9930:DE811569869", "seller", "9930", "DE811569869"),
        ("my Peppol address 9925:BE0477472701", "seller", "9925", "BE0477472701"),
        ("their electronic address: 0204:991-33333TEST-33", "buyer", "0204", "991-33333TEST-33"),
        ("their e-invoice address is ap@kranich.de", "buyer", "EM", "ap@kranich.de"),
    ],
)
def test_electronic_addresses(phrase: str, role: str, scheme: str, value: str) -> None:
    invoice = draft(say(f"{WITH_SELLER}. {phrase}"))
    address = getattr(invoice, role).electronic_address
    assert (address.scheme, address.value) == (scheme, value)


@pytest.mark.parametrize(
    "phrase, words",
    [
        ("their Peppol ID is 0208:0123456789", "not a valid Belgian enterprise number"),
        ("our e-invoice address is 9930:DE123456789", "not a valid German VAT number"),
        ("their Peppol ID is 1234:0477472701", "not a scheme of the EAS code list"),
        ("their Peppol ID is ap@kranich.de", "Peppol cannot deliver"),
        ("their Peppol ID is 0477472701", "Which scheme"),
    ],
)
def test_a_bad_electronic_address_is_a_question(phrase: str, words: str) -> None:
    conversation = say(f"{WITH_SELLER}. {phrase}")
    assert conversation.invoice is None
    assert words in last_reply(conversation)


# --- delivery date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, day",
    [
        ("delivered on 3 March 2026", date(2026, 3, 3)),
        ("delivery date 2026-03-02", date(2026, 3, 2)),
        ("delivery date: 02.03.2026", date(2026, 3, 2)),
        ("Leistungsdatum 02.03.2026", date(2026, 3, 2)),
        ("Lieferdatum 15.10.2026", date(2026, 10, 15)),
        ("the work was performed on 2 November 2026", date(2026, 11, 2)),
        ("date of supply: 1 Nov 2026", date(2026, 11, 1)),
    ],
)
def test_the_delivery_date(phrase: str, day: date) -> None:
    invoice = draft(say(f"{START}, {phrase}"))
    assert invoice.delivery_date == day
    assert invoice.due_date is None and invoice.issue_date == TODAY


def test_a_delivery_date_far_ahead_is_asked_about() -> None:
    conversation = say(f"{START}, delivery date 2028-01-01")
    assert conversation.invoice is None
    assert "delivery date" in last_reply(conversation)


# --- together -------------------------------------------------------------------------------------


def test_an_xrechnung_message_reads_every_field_at_once() -> None:
    invoice = draft(
        say(
            "My company is Pixel Studio, VAT DE811569869. Invoice Stadt Bonn for accessibility "
            "audit €3,400 + 19% VAT, their Leitweg-ID is 991-33333TEST-33 as their electronic "
            "address. Our contact is Tomasz Nowak, +49 228 555 0100, tomasz@pixel.de. Pay to "
            "IBAN DE89 3704 0044 0532 0130 00. Delivered on 2 November 2026."
        )
    )
    assert invoice.buyer.name == "Stadt Bonn"
    assert invoice.buyer_reference == "991-33333TEST-33"
    assert invoice.seller.contact.email == "tomasz@pixel.de"
    assert invoice.payment.iban == "DE89370400440532013000"
    assert invoice.delivery_date == date(2026, 11, 2)
    assert [i.description for i in invoice.items] == ["Accessibility audit"]
