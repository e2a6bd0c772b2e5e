"""The printable invoice: PDF/A-3b and HTML from one template.

Text is read back out of the PDF with pypdf, so these tests see what a reader sees.
"""

from __future__ import annotations

import http.server
import io
import re
import threading
from dataclasses import replace
from decimal import Decimal

import pypdf
import pytest
from weasyprint.formatting_structure import boxes

from core.exports import formatting, typesetter
from core.exports.document import filename
from core.exports.pdf import layout_for, print_document, render_html, render_pdf
from core.exports.samples import BUYER, SELLER, sample_draft, sample_invoice
from core.invoice import price_invoice
from core.schemas import dump_invoice

POINTS = {"A4": (595, 842), "Letter": (612, 792)}
PAYLOAD = '<script>alert("x")</script><b>bold</b> & <i>co</i>'


def pdf_pages(document: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(document)).pages]


def page_size(document: bytes) -> tuple[int, int]:
    box = pypdf.PdfReader(io.BytesIO(document)).pages[0].mediabox
    return round(box.width), round(box.height)


def xmp(document: bytes) -> str:
    root = pypdf.PdfReader(io.BytesIO(document)).trailer["/Root"]
    return root["/Metadata"].get_object().get_data().decode()


def test_pdf_shows_number_buyer_and_total():
    invoice = sample_invoice(4)
    (text,) = pdf_pages(render_pdf(invoice))

    assert "INV-0042" in text
    assert "Acme Corp SAS" in text
    total = formatting.money(invoice.total, "EUR", formatting.get_locale("en_IE"))
    assert total in text  # '€9,466.86': the core's total, formatted, never recomputed


def test_pdf_is_pdf_a_3b_with_metadata():
    document = render_pdf(sample_invoice(2))

    assert document.startswith(b"%PDF-")
    meta = xmp(document)
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="B"' in meta
    info = pypdf.PdfReader(io.BytesIO(document)).metadata
    assert info.title == "Invoice INV-0042 · Nordlys Studio ApS"
    assert info.author == "Nordlys Studio ApS"


def test_sixty_lines_span_pages_with_the_header_on_each_and_no_split_row():
    invoice = sample_invoice(60)
    wordy = " — with a longer account of the work, which wraps over two or three lines"
    items = tuple(  # rows of several lines, so that some of them meet a page's end
        replace(line, description=f"{line.description}{wordy if i % 3 == 0 else ''}")
        for i, line in enumerate(invoice.items)
    )
    invoice = replace(invoice, items=items)
    pages = pdf_pages(render_pdf(invoice))

    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        if number > 1:
            assert "Invoice INV-0042 (continued)" in text
    table_pages = [text for text in pages if "Consulting" in text or "Licence" in text]
    assert len(table_pages) >= 2
    for text in table_pages:
        assert re.search(r"DESCRIPTION\s+QTY\s+UNIT PRICE\s+DISC\.\s+TAX\s+AMOUNT", text), text
    # Every row is whole on exactly one page: from its description (then its quantity) to its
    # amount, before the next row or the page's footer.
    flat = [" ".join(text.split()) for text in pages]
    euro = formatting.get_locale("en_IE")
    for line in invoice.items:
        start = re.compile(rf"{re.escape(line.description)} (?=\d)")
        holders = [(text, match) for text in flat if (match := start.search(text))]
        assert len(holders) == 1, line.description
        text, match = holders[0]
        page_end = r" (?:INV-0042 ·|Invoice INV-0042 \(continued\)|Page \d+ of)"
        row = re.split(page_end, text[match.start() :])[0]
        price = formatting.money(line.unit_price, "EUR", euro)
        amount = formatting.money(line.net_amount, "EUR", euro)
        # description, quantity and unit, unit price, discount and tax, amount: nothing between
        cells = rf"{re.escape(line.description)} [^€]+ {re.escape(price)} [^€]+ {re.escape(amount)}"
        assert re.match(rf"{cells}(?= |$)", row), row


def test_html_and_script_in_any_field_are_text():
    seller = replace(SELLER, name=PAYLOAD, address=f"{PAYLOAD}\nDenmark")
    invoice = sample_invoice(2, seller=seller)
    items = (replace(invoice.items[0], description=PAYLOAD), *invoice.items[1:])
    invoice = replace(invoice, items=items, notes=PAYLOAD)

    html = render_html(invoice)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    text = "".join(pdf_pages(render_pdf(invoice)))
    assert '<script>alert("x")</script><b>bold</b> & <i>co</i>' in text


class CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    CountingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_urls_in_fields_are_never_fetched(web_server, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    tags = (
        f'<img src="{web_server}/img.png"> <img src="file://{secret}">'
        f'<link rel="stylesheet" href="{web_server}/x.css">'
        f'<style>@import url("{web_server}/y.css"); body {{ background: url(file://{secret}) }}'
        "</style>"
    )
    seller = replace(SELLER, name=tags, email=f"{web_server}/mail", address=f"{tags}, Denmark")
    buyer = replace(BUYER, company=tags, phone=tags)
    invoice = sample_invoice(2, seller=seller, buyer=buyer)
    invoice = replace(
        invoice,
        notes=tags,
        payment_terms=tags,
        items=(replace(invoice.items[0], description=tags, unit=tags), *invoice.items[1:]),
    )

    document = render_pdf(invoice)

    assert CountingHandler.hits == []
    assert "img.png" in "".join(pdf_pages(document))  # shown as text instead


def test_the_renderer_itself_refuses_network_and_file_urls(web_server, tmp_path, caplog):
    """Even HTML that reaches WeasyPrint unescaped loads nothing."""
    image = tmp_path / "pixel.png"
    image.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
    )
    html = (
        f'<html><head><link rel="stylesheet" href="{web_server}/a.css">'
        f'<style>@import url("{web_server}/b.css"); p {{ background: url({web_server}/c.png) }}'
        f"</style></head><body><p>hello</p>"
        f'<img src="{web_server}/d.png"><img src="file://{image}"><img src="{image}">'
        f'<iframe src="{web_server}/e.html"></iframe><object data="file://{image}"></object>'
        "</body></html>"
    )

    document = typesetter.write_pdf(typesetter.any_markup(html))

    assert CountingHandler.hits == []
    refused = re.findall(r"refused to fetch (\S+)", caplog.text)  # asked for, and refused
    assert {url.rsplit("/", 1)[-1] for url in refused} >= {"a.css", "b.css", "c.png", "d.png"}
    assert f"file://{image}" in refused
    assert b"/Image" not in document
    assert "hello" in pdf_pages(document)[0]


def test_unicode_names_render_with_embedded_fonts():
    seller = replace(SELLER, name="Ærøskøbing Ølfabrik", company=None)
    buyer = replace(BUYER, company="Ελληνική Εταιρεία ΑΕ", name="Иван Петров")
    invoice = sample_invoice(1, seller=seller, buyer=buyer)
    document = render_pdf(invoice)

    text = pdf_pages(document)[0]
    for name in ("Ærøskøbing Ølfabrik", "Ελληνική Εταιρεία ΑΕ", "Иван Петров", "€"):
        assert name in text
    reader = pypdf.PdfReader(io.BytesIO(document))
    fonts = {
        str(font.get_object()["/BaseFont"])
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert fonts and all("DejaVu-Sans" in font for font in fonts), fonts
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert any(key in descriptor for key in ("/FontFile2", "/FontFile3")), "not embedded"


@pytest.mark.parametrize(
    ("currency", "locale", "paper", "expected"),
    [
        ("USD", None, None, "Letter"),
        ("EUR", None, None, "A4"),
        ("USD", "de_DE", None, "A4"),
        ("EUR", "en_CA", None, "Letter"),
        ("USD", None, "A4", "A4"),
        ("EUR", None, "letter", "Letter"),
    ],
)
def test_paper_follows_the_locale_unless_given(currency, locale, paper, expected):
    invoice = sample_invoice(1, currency=currency)
    assert layout_for(invoice, locale, paper).page_size == expected
    assert page_size(render_pdf(invoice, locale=locale, page_size=paper)) == POINTS[expected]


def test_amounts_and_dates_follow_the_locale():
    invoice = sample_invoice(2, currency="EUR")

    german = render_html(invoice, locale="de_DE")
    american = render_html(invoice, locale="en-US")

    total = format(invoice.total, "f")  # '1355.07'
    units, cents = total.split(".")
    assert f"{int(units):,}".replace(",", ".") + f",{cents}\xa0€" in german
    assert "2. März 2026" in german and 'lang="de-DE"' in german
    assert f"€{int(units):,}.{cents}" in american and "March 2, 2026" in american


def test_yen_has_no_decimals_and_unit_prices_keep_theirs():
    invoice = sample_invoice(2, currency="JPY")
    html = render_html(invoice, locale="en_US")
    assert f"¥{int(invoice.total):,}<" in html
    assert ".00" not in html
    cheap = replace(invoice, items=(replace(invoice.items[0], unit_price=Decimal("0.125")),))
    assert "$0.125" in render_html(replace(cheap, currency="USD"), locale="en_US")


def test_bad_layout_arguments():
    invoice = sample_invoice(1)
    with pytest.raises(formatting.UnknownLocale):
        layout_for(invoice, "xx_QQ")
    with pytest.raises(ValueError, match="A4, Letter"):
        layout_for(invoice, None, "A3")


def test_html_view_is_the_same_document_self_contained():
    invoice = sample_invoice(3)
    html = render_html(invoice)

    assert html.startswith("<!DOCTYPE html>")
    assert '<style media="screen">' in html and "@page" in html
    assert "INV-0042" in html and "Acme Corp SAS" in html
    assert not re.search(r"\s(src|href)=", html)
    assert "<script" not in html and "url(" not in html


def test_an_invoice_without_parties_or_items_still_renders():
    invoice = sample_invoice(1, seller=None, buyer=None)
    invoice = replace(invoice, items=(), notes=None, payment_terms=None, due_date=None)
    text = pdf_pages(render_pdf(dump_invoice(invoice)))[0]
    assert "No items yet." in text and "INV-0042" in text


def test_file_names():
    assert filename(sample_invoice(1), ".pdf") == "INV-0042.pdf"
    assert filename({"number": "../../etc/passwd"}, ".pdf") == "etc-passwd.pdf"
    assert filename({"number": None}, ".ubl.xml") == "invoice.ubl.xml"


@pytest.mark.parametrize("currency", ["IDR", "EUR", "JPY"])
def test_huge_amounts_stay_inside_the_page(currency):
    """The items table has fixed column widths; its amount columns grow to fit their text."""
    draft = sample_draft(3, currency=currency)
    lines = tuple(
        replace(line, quantity=Decimal(1000 + i), unit_price=Decimal("1499999999.99"))
        for i, line in enumerate(draft.items)
    )
    invoice = price_invoice(replace(draft, items=lines), "INV-0042", today=draft.issue_date)
    markup, stylesheet = print_document(invoice)

    rendering = typesetter.own_markup(markup).render(
        stylesheets=[stylesheet], font_config=typesetter.font_config()
    )

    (page,) = rendering.pages
    root = page._page_box.children[0]
    right = root.content_box_x() + root.width
    texts = [box for box in page._page_box.descendants() if isinstance(box, boxes.TextBox)]
    amount = formatting.money(invoice.items[0].net_amount, currency, layout_for(invoice).locale)
    assert any(box.text == amount for box in texts), [box.text for box in texts]
    overflowing = [box.text for box in texts if box.position_x + box.width > right + 0.01]
    assert overflowing == []
