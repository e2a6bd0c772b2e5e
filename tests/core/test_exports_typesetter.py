"""Typst typesets the invoice PDF: what an invoice says can never become Typst code, and Typst
reads nothing but its template and the fonts it was given."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.exports import pdf, typesetter
from core.exports.html_view import render_html
from tests.support.samples import BUYER, SELLER, sample_invoice

# Typst markup and code a user or a model could type into any field.
TYPST = [
    '#read("/etc/passwd")',
    '#image("/etc/passwd")',
    '#import "@preview/cetz:0.3.0": *',
    '#include "invoice.typ"',
    "#set page(fill: red)",
    '#eval("1 + 1")',
    '#json("/etc/hosts")',
    "#let x = 1; #x",
    "#{ 1 + 1 } #sys.inputs",
    "*bold* _emph_ `raw` $x^2$ = Heading",
    '<label> @ref // comment /* block */ \\ ] [ " #',
    '#link("https://example.com")[click]',
]


def pdf_text(document: bytes) -> str:
    """The document's text without any white space: where lines wrap does not matter."""
    pages = pypdf.PdfReader(io.BytesIO(document)).pages
    return squeezed(" ".join(page.extract_text() for page in pages))


def squeezed(text: str) -> str:
    return "".join(text.split())


def test_typst_code_in_every_field_prints_as_text():
    code = " ".join(TYPST)
    seller = replace(SELLER, company=f"Seller {code}", address=f"{code}\nDenmark")
    buyer = replace(BUYER, company=f"Buyer {code}", email=code, phone=code)
    invoice = sample_invoice(2, seller=seller, buyer=buyer)
    line = replace(invoice.items[0], description=f"Item {code}", unit="#sys")
    invoice = replace(
        invoice, items=(line, *invoice.items[1:]), notes=f"Notes {code}", payment_terms=code
    )

    document = pdf.render_pdf(invoice)

    text = pdf_text(document)
    for snippet in TYPST:
        # every field shows it: seller (and the footer), address, buyer, e-mail, phone, item,
        # notes, terms
        assert text.count(squeezed(snippet)) >= 9, (snippet, text)
    assert "root:" not in text and "localhost" not in text  # nothing was read
    assert b"/Subtype/Image" not in document  # nothing was embedded
    assert b"/URI" not in document and b"/Annots" not in document  # or linked


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
    )
)
def test_any_ascii_in_a_description_prints_as_itself(text):
    invoice = sample_invoice(1)
    invoice = replace(invoice, items=(replace(invoice.items[0], description=text),))

    assert squeezed(text) in pdf_text(pdf.render_pdf(invoice))


@settings(max_examples=25, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60))
def test_any_text_in_any_field_typesets(text):
    seller = replace(SELLER, name=text, address=f"{text}\nDenmark")
    buyer = replace(BUYER, company=text, email=text)
    invoice = sample_invoice(1, seller=seller, buyer=buyer)
    line = replace(invoice.items[0], description=text, unit=text)
    invoice = replace(invoice, items=(line,), notes=text, payment_terms=text, number=text)

    assert pdf.render_pdf(invoice).startswith(b"%PDF-")
    assert "<html" in render_html(invoice)


def test_text_xml_cannot_carry_is_dropped_and_the_rest_typeset():
    buyer = replace(BUYER, company="Acme\x01\x0b Corp\ufffe")
    invoice = sample_invoice(1, buyer=buyer)
    invoice = replace(invoice, items=(replace(invoice.items[0], description="Bell\x07 ringing"),))

    text = pdf_text(pdf.render_pdf(invoice))

    assert "AcmeCorp" in text and "Bellringing" in text
    assert "Acme Corp<" in render_html(invoice)


def test_the_template_reads_imports_and_evaluates_nothing():
    """The template's only input is sys.inputs; it calls nothing that reaches outside."""
    source = (typesetter.TEMPLATES / pdf.TEMPLATE).read_text(encoding="utf-8")
    code = re.sub(r"//[^\n]*", "", source)  # comments may name what the code never does

    for call in ("#import", "#include", "read(", "image(", "plugin(", "eval(", "link(", "csv("):
        assert call not in code, call
    assert re.findall(r"\bjson\(([^)]*)\)", code) == ["bytes(sys.inputs.invoice"]
    assert set(re.findall(r"sys\.inputs\.(\w+)", code)) == {"invoice", "lang", "region"}


@pytest.fixture
def hostile_templates(tmp_path, monkeypatch):
    """Templates in a folder of their own, next to a file they must not be able to read."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("do not read")
    monkeypatch.setattr(typesetter, "TEMPLATES", folder)
    typesetter.forget_compilers()
    yield folder
    typesetter.forget_compilers()


@pytest.mark.parametrize(
    "source",
    [
        '#read("../secret.txt")',
        '#read("/etc/passwd")',
        '#image("../secret.txt")',
        '#image("/usr/share/pixmaps/debian-logo.png")',
    ],
)
def test_typst_reads_nothing_outside_the_templates_folder(hostile_templates, source):
    (hostile_templates / "hostile.typ").write_text(source)

    with pytest.raises(typesetter.TypesetFailed):
        typesetter.typeset_pdf("hostile.typ", {})


def test_missing_fonts_are_named_with_their_packages(tmp_path, monkeypatch):
    monkeypatch.setattr(typesetter, "FONT_FOLDERS", (tmp_path,))
    typesetter.fonts.cache_clear()
    try:
        with pytest.raises(typesetter.MissingFonts, match="fonts-dejavu-core fonts-noto-core"):
            typesetter.fonts()
    finally:
        typesetter.fonts.cache_clear()


def test_a_font_typst_cannot_find_fails_the_document(hostile_templates):
    """Typst only warns about an unknown font, and would print no text at all."""
    (hostile_templates / "fontless.typ").write_text('#set text(font: "No Such Font")\nHello')

    with pytest.raises(typesetter.TypesetFailed, match="font"):
        typesetter.typeset_pdf("fontless.typ", {})
