"""The typesetter's shortcut for our own template (expat + a lean user-agent stylesheet) must
lay out every invoice exactly as WeasyPrint's own path does: these tests hold it to that."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import replace

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.exports import pdf, typesetter
from core.exports.document import xml_text
from core.exports.samples import BUYER, SELLER, sample_invoice
from core.invoice import Party


def _laid_out(document, stylesheet) -> list[tuple]:
    """Every box of every page: kind, element, position, size and text."""
    rendering = document.render(stylesheets=[stylesheet], font_config=typesetter.font_config())
    return [
        (
            type(box).__name__,
            box.element_tag,
            *(round(value, 3) for value in (box.position_x, box.position_y)),
            *(round(v, 3) if isinstance(v, float) else v for v in (box.width, box.height)),
            getattr(box, "text", None),
        )
        for page in rendering.pages
        for box in page._page_box.descendants()
    ]


INVOICES = {
    "sixty lines, three pages": lambda: sample_invoice(60),
    "US Letter, no discount": lambda: sample_invoice(3, currency="USD", discount=None),
    "no parties, no items": lambda: replace(
        sample_invoice(1, seller=None, buyer=None), items=(), notes="", payment_terms=""
    ),
    "tabs and newlines in names": lambda: sample_invoice(
        2,
        seller=replace(SELLER, company="Nordlys\tStudio\nApS"),
        buyer=replace(BUYER, company="Acme\r\nCorp"),
    ),
    "line discounts, Greek and Cyrillic": lambda: sample_invoice(
        5,
        seller=replace(SELLER, company="Ελληνική Εταιρεία ΑΕ"),
        buyer=Party(name="Иван Петров", address="ул. Ленина 1\nМосква"),
    ),
}


@pytest.mark.parametrize("make", INVOICES.values(), ids=INVOICES.keys())
def test_own_markup_is_laid_out_exactly_as_weasyprint_lays_out_the_html(make):
    markup, stylesheet = pdf.print_document(make())

    expected = _laid_out(typesetter.any_markup(markup), stylesheet)

    assert len(expected) > 50
    assert _laid_out(typesetter.own_markup(markup), stylesheet) == expected
    # and the very same file: metadata, outline, colours, fonts
    ours = typesetter.write_pdf(typesetter.own_markup(markup), (stylesheet,))
    assert ours == typesetter.write_pdf(typesetter.any_markup(markup), (stylesheet,))


def test_the_template_uses_only_elements_the_lean_user_agent_sheet_styles():
    sheet = typesetter.USER_AGENT_STYLESHEET.read_text(encoding="utf-8")
    rules = re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)
    styled = set(re.findall(r"(?:^|[\s,{};])([a-z][a-z0-9]*)(?=[\s,]*[,{])", rules))
    used = set()
    for make in INVOICES.values():
        markup = pdf.print_document(make()).markup
        used |= {element.tag for element in ElementTree.fromstring(markup).iter()}  # noqa: S314

    assert {"table", "td", "p", "col"} <= used
    assert used <= styled, used - styled


def test_text_xml_cannot_carry_is_dropped_and_the_rest_typeset():
    buyer = replace(BUYER, company="Acme\x01\x0b Corp\ufffe")
    invoice = sample_invoice(1, buyer=buyer)
    invoice = replace(invoice, items=(replace(invoice.items[0], description="Bell\x07 ringing"),))

    document = pdf.render_pdf(invoice)

    text = pypdf.PdfReader(io.BytesIO(document)).pages[0].extract_text()
    assert "Acme Corp" in text and "Bell ringing" in text
    assert "Acme Corp<" in pdf.render_html(invoice)


def test_a_template_that_is_not_well_formed_is_refused_not_guessed():
    with pytest.raises(ElementTree.ParseError):
        typesetter.own_markup("<html><body><p>unclosed</body></html>")


@settings(max_examples=150, deadline=None)
@given(text=st.text(min_size=1, max_size=60))
def test_any_text_in_any_field_makes_well_formed_markup(text):
    seller = replace(SELLER, name=text, address=f"{text}\nDenmark")
    buyer = replace(BUYER, company=text, email=text)
    invoice = sample_invoice(1, seller=seller, buyer=buyer)
    line = replace(invoice.items[0], description=text, unit=text)
    invoice = replace(invoice, items=(line,), notes=text, payment_terms=text, number=text)

    markup = pdf.print_document(invoice).markup
    root = ElementTree.fromstring(markup)  # noqa: S314 - what own_markup does

    assert root.tag == "html"
    # every parser, HTML5 or XML, reads a carriage return as a line feed
    kept = xml_text(text).replace("\r\n", "\n").replace("\r", "\n")
    if kept.strip():
        assert kept.strip() in "".join(root.find("body").itertext())


@settings(max_examples=8, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40))
def test_any_text_typesets(text):
    invoice = sample_invoice(1, buyer=replace(BUYER, company=text))
    invoice = replace(invoice, items=(replace(invoice.items[0], description=text),), notes=text)

    assert pdf.render_pdf(invoice).startswith(b"%PDF-")
