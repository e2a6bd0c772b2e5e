"""The printed invoice: a PDF/A-3b typeset by Typst, and the HTML view of the same texts.

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
from PIL import Image

from core.exports import formatting, typesetter
from core.exports.document import filename
from core.exports.html_view import render_html
from core.exports.layout import layout_for
from core.exports.pdf import render_pdf, typst_inputs
from core.exports.printable import printable
from core.invoice import price_invoice
from core.schemas import dump_invoice
from tests.support.samples import BUYER, SELLER, sample_draft, sample_invoice

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
    assert re.search(r'pdfaid:part(>|=")3', meta) and re.search(r'pdfaid:conformance(>|=")B', meta)
    root = pypdf.PdfReader(io.BytesIO(document)).trailer["/Root"]
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"  # with its sRGB profile
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


def embedded_fonts(document: bytes) -> dict[str, bool]:
    """Each font of the first page: whether its program is embedded."""
    reader = pypdf.PdfReader(io.BytesIO(document))
    fonts = {}
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        name = str(font["/BaseFont"]).split("+", 1)[-1]
        fonts[name] = any(key in descriptor for key in ("/FontFile2", "/FontFile3"))
    return fonts


def test_unicode_names_render_with_embedded_fonts():
    seller = replace(SELLER, name="Ærøskøbing Ølfabrik", company=None)
    buyer = replace(BUYER, company="Ελληνική Εταιρεία ΑΕ", name="Иван Петров")
    invoice = sample_invoice(1, seller=seller, buyer=buyer)
    document = render_pdf(invoice)

    text = pdf_pages(document)[0]
    for name in ("Ærøskøbing Ølfabrik", "Ελληνική Εταιρεία ΑΕ", "Иван Петров", "€"):
        assert name in text
    fonts = embedded_fonts(document)
    assert set(fonts) == {"DejaVuSans", "DejaVuSans-Bold"}, fonts
    assert all(fonts.values()), "not embedded"


@pytest.mark.parametrize(
    ("company", "name", "font"),
    [
        ("株式会社 東京デザイン", "山田 太郎", "NotoSansCJK"),  # Japanese
        ("北京科技有限公司", "王小明", "NotoSansCJK"),  # Chinese
        ("주식회사 서울", "김민준", "NotoSansCJK"),  # Korean
        ("شركة الخليج للتجارة", "محمد بن سلمان", "NotoSansArabic"),  # Arabic
    ],
)
def test_cjk_and_arabic_names_print_with_their_fonts_embedded(company, name, font):
    buyer = replace(BUYER, company=company, name=name)
    invoice = sample_invoice(1, buyer=buyer)
    invoice = replace(invoice, items=(replace(invoice.items[0], description=f"{name} ✓"),))
    document = render_pdf(invoice)

    fonts = embedded_fonts(document)
    assert any(family.startswith(font) for family in fonts), fonts
    assert all(fonts.values()), fonts
    text = " ".join(pdf_pages(document)[0].split())
    if font == "NotoSansCJK":  # Arabic comes out in visual order; its glyphs are checked above
        assert company in text and name in text, text


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
    assert page_size(render_pdf(invoice, layout_for(invoice, locale, paper))) == POINTS[expected]


def test_amounts_and_dates_follow_the_locale():
    invoice = sample_invoice(2, currency="EUR")

    german = render_html(invoice, layout_for(invoice, "de_DE"))
    american = render_html(invoice, layout_for(invoice, "en-US"))

    total = format(invoice.total, "f")  # '1355.07'
    units, cents = total.split(".")
    assert f"{int(units):,}".replace(",", ".") + f",{cents}\xa0€" in german
    assert "2. März 2026" in german and 'lang="de-DE"' in german
    assert f"€{int(units):,}.{cents}" in american and "March 2, 2026" in american


def test_yen_has_no_decimals_and_unit_prices_keep_theirs():
    invoice = sample_invoice(2, currency="JPY")
    html = render_html(invoice, layout_for(invoice, "en_US"))
    assert f"¥{int(invoice.total):,}<" in html
    assert ".00" not in html
    cheap = replace(invoice, items=(replace(invoice.items[0], unit_price=Decimal("0.125")),))
    assert "$0.125" in render_html(replace(cheap, currency="USD"), layout_for(invoice, "en_US"))


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


def page_images(invoice, ppi: int = 72) -> list[Image.Image]:
    """The pages as pictures: the same template and texts as the PDF, drawn by Typst."""
    layout = layout_for(invoice)
    pages = typesetter.compiler("invoice.typ").compile(
        format="png", ppi=ppi, sys_inputs=typst_inputs(printable(invoice, layout), layout)
    )
    pages = pages if isinstance(pages, list) else [pages]
    return [Image.open(io.BytesIO(page)).convert("L") for page in pages]


def ink_outside_the_side_margins(image: Image.Image, ppi: int = 72) -> list[int]:
    """Columns of pixels left of or right of the 16 mm side margins that are not white."""
    margin = round(16 / 25.4 * ppi) - 1  # a pixel of tolerance for antialiasing
    width, height = image.size
    pixels = image.load()
    return [
        x
        for x in (*range(margin), *range(width - margin, width))
        if any(pixels[x, y] < 250 for y in range(height))
    ]


@pytest.mark.parametrize("currency", ["IDR", "EUR", "JPY"])
def test_huge_amounts_stay_inside_the_page(currency):
    """The columns of figures are as wide as their widest text; the description gives way."""
    draft = sample_draft(3, currency=currency)
    lines = tuple(
        replace(line, quantity=Decimal(1000 + i), unit_price=Decimal("1499999999.99"))
        for i, line in enumerate(draft.items)
    )
    invoice = price_invoice(replace(draft, items=lines), "INV-0042", today=draft.issue_date)

    (text,) = pdf_pages(render_pdf(invoice))
    amount = formatting.money(invoice.items[0].net_amount, currency, layout_for(invoice).locale)
    assert amount in text
    assert formatting.money(invoice.total, currency, layout_for(invoice).locale) in text
    (page,) = page_images(invoice)
    assert ink_outside_the_side_margins(page) == []


def test_long_unbroken_text_wraps_inside_the_page():
    word = "Überlange" * 30  # no space to break at
    buyer = replace(BUYER, company=word, address=f"{word}\nFrance")
    invoice = sample_invoice(2, buyer=buyer, seller=replace(SELLER, company=word))
    invoice = replace(
        invoice,
        items=(replace(invoice.items[0], description=word, unit=word[:40]), *invoice.items[1:]),
        notes=word,
        payment_terms=word,
        number=word[:60],
    )

    for page in page_images(invoice):
        assert ink_outside_the_side_margins(page) == []
