"""The printed invoice's texts (printable.py): what the PDF and the HTML view both show.

The PDF is typeset by Typst from invoice.typ and the HTML view comes from invoice.html.j2, so a
test keeps the two in step: the same texts, labels and amounts, in the same order. Invoices
carrying the EN 16931 fields of design.md (contact points, electronic addresses, references,
prepaid amount, payment details, credit notes, VAT categories) are built by hand here, so they
print as soon as the invoice model has them.
"""

from __future__ import annotations

import copy
import io
import json
from decimal import Decimal

import lxml.html
import pypdf
import pytest

from core.exports.html_view import render_html
from core.exports.layout import layout_for
from core.exports.pdf import render_pdf
from core.exports.printable import printable
from core.schemas import dump_invoice
from tests.support.samples import sample_invoice
from tests.support.scenarios import BELGIAN, DUTCH, FRENCH, priced


def with_einvoice_fields(invoice: dict) -> dict:
    """`invoice` with every e-invoice field design.md adds, as the model will carry them."""
    invoice = copy.deepcopy(invoice)
    invoice["seller"]["contact"] = {
        "name": "Mette Holm",
        "phone": "+45 11 22 33 44",
        "email": "mette@nordlys.example",
    }
    invoice["seller"]["electronic_address"] = {"scheme": "0184", "value": "DK13585628"}
    invoice["buyer"]["contact"] = {
        "name": "Claire Martin",
        "phone": None,
        "email": "cm@acme.example",
    }
    invoice["buyer"]["electronic_address"] = {"scheme": "0009", "value": "30326504500016"}
    invoice["buyer_reference"] = "04011000-12345-03"
    invoice["purchase_order"] = "PO-4500012345"
    invoice["delivery_date"] = "2026-02-27"
    invoice["prepaid_amount"] = "1000.00"
    invoice["amount_due"] = format(Decimal(invoice["total"]) - 1000, "f")
    invoice["payment"] = {
        "means_code": "58",
        "iban": "dk50 0040 0440 1162 43",
        "bic": "DABADKKK",
        "account_name": "Nordlys Studio ApS",
        "reference": "RF18 5390 0754 7034",
    }
    for item in invoice["items"]:
        zero = not float(item["tax_rate"])
        item["tax_category"] = "AE" if zero else "S"
        item["exemption_reason"] = (
            {"code": "VATEX-EU-AE", "text": "Reverse charge: the customer accounts for the VAT"}
            if zero
            else None
        )
    for row in invoice["tax_breakdown"]:
        row["tax_category"] = "S" if float(row["rate"]) else "AE"
    return invoice


def credit_note(invoice: dict) -> dict:
    return {
        **copy.deepcopy(invoice),
        "type": "credit_note",
        "number": "CN-2026-0001",
        "preceding_invoice": {"number": "INV-0041", "issue_date": "2026-02-02"},
    }


def draft(invoice: dict) -> dict:
    return {**copy.deepcopy(invoice), "number": None}


SAMPLE = dump_invoice(sample_invoice(8))
FULL = with_einvoice_fields(dump_invoice(sample_invoice(4)))


def pdf_pages(document: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(document)).pages]


def squeezed(text: str) -> str:
    """The text without white space, case-folded: where lines wrap, how letters are spaced
    (`letter-spacing`, Typst's tracking) and what CSS upper-cases do not matter."""
    return "".join(text.split()).casefold()


def printed_by_both(invoice: dict, locale: str | None = None) -> tuple[str, str]:
    """The texts of the HTML view's page and of the PDF's pages, squeezed, without the PDF's
    page furniture (footer, "continued" header) and its repeats of the table header."""
    layout = layout_for(invoice, locale)
    texts = printable(invoice, layout)
    html = squeezed(lxml.html.document_fromstring(render_html(invoice, layout)).body.text_content())
    pages = pdf_pages(render_pdf(invoice, layout))
    header = squeezed("".join(texts["columns"]))
    pdf = ""
    for number, page in enumerate(pages, start=1):
        text = squeezed(page)
        if number > 1:  # the "continued" header opens the page
            continued = squeezed(texts["meta"]["continued"])
            assert text.startswith(continued), page
            text = text.removeprefix(continued)
        footer = squeezed(texts["meta"]["footer"] + f"Page {number} of {len(pages)}")
        assert text.endswith(footer), page  # the footer closes it
        text = text.removesuffix(footer)
        if number > 1 and header in text:
            text = text.replace(header, "", 1)  # the items table's header, repeated
        pdf += text
    return html, pdf


INVOICES = {
    "sample, 8 lines": (SAMPLE, None),
    "every e-invoice field": (FULL, None),
    "credit note": (credit_note(FULL), None),
    "draft": (draft(SAMPLE), None),
    "German amounts and dates": (SAMPLE, "de_DE"),
    "French, narrow no-break spaces": (FULL, "fr_FR"),
    "60 lines, 3 pages": (dump_invoice(sample_invoice(60)), None),
    "no parties, no items": (
        {
            **dump_invoice(sample_invoice(1, seller=None, buyer=None)),
            "items": [],
            "notes": None,
            "payment_terms": None,
        },
        None,
    ),
    "Chinese and Japanese names": (
        {
            **SAMPLE,
            "buyer": {**SAMPLE["buyer"], "company": "株式会社 東京デザイン", "name": "山田 太郎"},
            "notes": "谢谢惠顾。",
        },
        "en_GB",
    ),
}


@pytest.mark.parametrize(("invoice", "locale"), INVOICES.values(), ids=INVOICES.keys())
def test_the_pdf_and_the_html_view_print_the_same_texts_in_the_same_order(invoice, locale):
    html, pdf = printed_by_both(invoice, locale)

    assert len(html) > 100
    assert pdf == html


def test_every_label_and_amount_of_the_model_is_printed():
    """The in-step test above compares the two documents; this one checks they miss nothing."""
    texts = printable(FULL, layout_for(FULL))
    html, _ = printed_by_both(FULL)
    expected = [
        texts["title"],
        texts["number"],
        texts["labels"]["bill_to"],
        *(fact["label"] for fact in texts["dates"]),
        texts["amount_due"]["label"],
        *(fact["value"] for fact in texts["dates"]),
        texts["amount_due"]["value"],
        *(ref[key] for ref in texts["references"] for key in ("label", "value")),
        *texts["columns"],
        *(cell for row in texts["rows"] for cell in row),
        *(row[key] for row in texts["totals"] for key in ("label", "value", "note")),
        *(line[key] for line in texts["payment"] for key in ("label", "value")),
        texts["notes"],
    ]
    position = 0
    for text in filter(None, expected):
        found = html.find(squeezed(text), position)
        assert found >= 0, text
        position = found + len(squeezed(text))


def pdf_text(invoice: dict) -> str:
    return " ".join(" ".join(pdf_pages(render_pdf(invoice))).split())


def test_einvoice_fields_are_printed():
    text = pdf_text(FULL)

    for printed in (
        "Contact: Mette Holm · +45 11 22 33 44 · mette@nordlys.example",
        "Electronic address 0184:DK13585628",
        "Contact: Claire Martin · cm@acme.example",
        "Electronic address 0009:30326504500016",
        "DELIVERY DATE 27 February 2026",
        "PURCHASE ORDER PO-4500012345",
        "BUYER REFERENCE 04011000-12345-03",
        "SEPA credit transfer",
        "Account holder Nordlys Studio ApS",
        "IBAN DK50 0040 0440 1162 43",
        "BIC DABADKKK",
        "Reference RF18 5390 0754 7034",
        "quoting RF18 5390 0754 7034.",
        "Reverse charge on €1,140.00 €0.00",
        "Reverse charge: the customer accounts for the VAT",
        "Paid in advance −€1,000.00",
        f"Amount due €{Decimal(FULL['amount_due']):,}",
    ):
        assert printed in text, printed
    assert "Reverse charge €1,200.00" in text  # the line's tax column


def test_a_line_exempt_from_vat_says_so_with_its_reason():
    invoice = copy.deepcopy(FULL)
    for item in invoice["items"]:
        if item["tax_category"] == "AE":
            item["tax_category"] = "E"
            item["exemption_reason"] = {"code": "VATEX-EU-132-1I", "text": None}
    for row in invoice["tax_breakdown"]:
        if row["tax_category"] == "AE":
            row["tax_category"] = "E"

    text = pdf_text(invoice)

    assert "Exempt on €1,140.00 €0.00 VATEX-EU-132-1I" in text
    assert "Reverse charge" not in text


def test_a_credit_note_is_titled_so_and_names_the_invoice_it_credits():
    text = pdf_text(credit_note(FULL))

    assert text.startswith("Nordlys Studio ApS")
    assert "C R E D I T N O T E CN-2026-0001" in text  # Typst's letter-spacing, read back
    assert "CREDITS INVOICE INV-0041 of 2 February 2026" in text
    assert "AMOUNT CREDITED" in text and "Please pay" not in text
    assert "Invoice" not in text.replace("INVOICE", "")
    assert "CN-2026-0001 · Nordlys Studio ApS" in text  # the footer


def test_a_draft_says_draft_where_the_number_would_be():
    document = render_pdf(draft(SAMPLE))
    text = " ".join(" ".join(pdf_pages(document)).split())

    assert "I N V O I C E DRAFT" in text
    assert "DRAFT · Nordlys Studio ApS" in text  # the footer
    assert "quoting" not in text and "None" not in text
    assert text.count("Please pay €19,933.92 by 1 April 2026.") == 1
    metadata = pypdf.PdfReader(io.BytesIO(document)).metadata
    assert metadata.title == "Invoice DRAFT · Nordlys Studio ApS"
    html = render_html(draft(SAMPLE))
    assert '<p class="invoice-number draft">DRAFT</p>' in html


def test_a_multi_page_draft_says_draft_on_every_page():
    pages = pdf_pages(render_pdf(draft(dump_invoice(sample_invoice(60)))))

    assert len(pages) >= 2
    for page in pages[1:]:
        assert "Invoice DRAFT (continued)" in page and "DRAFT · Nordlys Studio ApS" in page


def test_unknown_payment_means_and_absent_fields_print_nothing():
    invoice = {**copy.deepcopy(SAMPLE), "payment": {"means_code": "ZZZ", "iban": None}}
    text = pdf_text(invoice)

    assert "IBAN" not in text.replace("to IBAN DK50", "")  # the terms mention one
    assert "None" not in text and "ZZZ" not in text
    assert printable(SAMPLE, layout_for(SAMPLE))["references"] == []


def test_the_einvoice_scenarios_print_their_categories_references_and_amount_due():
    def texts(draft) -> str:
        invoice = priced(draft)
        return json.dumps(printable(invoice, layout_for(invoice)), ensure_ascii=False)

    belgian = texts(BELGIAN)
    assert "Reverse charge on €2,220.00" in belgian  # the VAT Directive's wording (226(11a))
    assert "VAT no. DE136695976" in belgian and "Electronic address 0208:0403019261" in belgian
    assert '"Purchase order", "value": "PO 4711"' in belgian
    french = texts(FRENCH)
    assert "Exempt on €1,140.00" in french and "article 261-4-4° du CGI" in french
    dutch = texts(DUTCH)
    assert "Paid in advance" in dutch and '"Amount due", "value": "€1,802.25"' in dutch
    assert "NL91 ABNA 0417 1643 00" in dutch
