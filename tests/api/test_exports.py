"""GET /api/session/{id}/invoice.{pdf,html,ubl.xml,cii.xml,facturx.pdf}."""

from __future__ import annotations

import io

import pypdf
import pytest
from lxml import etree

from tests.api.conftest import assert_error, run_job, start_turn
from tests.support.providers import BUYER, SELLER, draft, script

UNKNOWN = "0123456789abcdef0123456789abcdef"
EXPORTS = {
    "pdf": ("application/pdf", "INV-0001.pdf"),
    "html": ("text/html", "INV-0001.html"),
    "ubl.xml": ("application/xml", "INV-0001.ubl.xml"),
    "cii.xml": ("application/xml", "INV-0001.cii.xml"),
    "facturx.pdf": ("application/pdf", "INV-0001.facturx.pdf"),
}
EINVOICES = ("ubl.xml", "cii.xml", "facturx.pdf")


def session_with_invoice(app, client, **facts) -> str:
    """A finished turn whose invoice is `draft()` (buyer Acme Corp, 40 h at 150) plus `facts`."""
    accepted = start_turn(client, script(invoice={**draft(), **facts}))
    assert run_job(app, accepted["job_id"]) == "applied"
    return accepted["session_id"]


@pytest.fixture
def complete_session(app, client) -> str:
    """A session whose invoice has everything EN 16931 asks for."""
    return session_with_invoice(
        app,
        client,
        seller=SELLER,
        buyer=BUYER,
        currency="EUR",
        due_date="2026-12-31",
        issue_date="2026-12-01",
    )


@pytest.mark.parametrize("extension", EXPORTS)
def test_each_export_has_its_content_type_and_file_name(client, complete_session, extension):
    mimetype, name = EXPORTS[extension]

    response = client.get(f"/api/session/{complete_session}/invoice.{extension}")

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == mimetype
    disposition = response.headers["Content-Disposition"]
    expected = "inline" if extension == "html" else "attachment"
    assert disposition == f"{expected}; filename={name}"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers.get("X-Request-ID")
    body = response.get_data()
    if mimetype == "application/pdf":
        assert body.startswith(b"%PDF-")
        text = pypdf.PdfReader(io.BytesIO(body)).pages[0].extract_text()
        assert "INV-0001" in text and "Acme Corp" in text and "€6,480.00" in text
    elif mimetype == "application/xml":
        root = etree.fromstring(body)
        assert "INV-0001" in body.decode()
        assert root.tag.endswith(("}Invoice", "}CrossIndustryInvoice"))
    else:
        assert "<!DOCTYPE html>" in body.decode() and "INV-0001" in body.decode()


def test_the_xml_is_the_core_invoice(client, complete_session):
    invoice = client.get(f"/api/session/{complete_session}/invoice").get_json()
    ubl = etree.fromstring(client.get(f"/api/session/{complete_session}/invoice.ubl.xml").data)

    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    assert ubl.xpath("//cbc:PayableAmount/text()", namespaces=ns) == [invoice["total"]]
    assert invoice["total"] == "6480.00"


def test_the_html_view_may_run_nothing(client, complete_session):
    response = client.get(f"/api/session/{complete_session}/invoice.html")

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy  # no clickjacking through a framed invoice
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pdf_inline_and_layout_arguments(client, complete_session):
    url = f"/api/session/{complete_session}/invoice.pdf"

    inline = client.get(f"{url}?inline=true&paper=letter&locale=de_DE")

    assert inline.headers["Content-Disposition"] == "inline; filename=INV-0001.pdf"
    reader = pypdf.PdfReader(io.BytesIO(inline.data))
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == (612, 792)
    assert "6.480,00\xa0€" in reader.pages[0].extract_text()
    default = pypdf.PdfReader(io.BytesIO(client.get(url).data)).pages[0].mediabox
    assert (round(default.width), round(default.height)) == (595, 842)  # EUR: A4


@pytest.mark.parametrize(
    "query", ["locale=xx_QQ", "paper=A3", "locale=" + "x" * 40, "inline=perhaps"]
)
def test_bad_layout_arguments_are_422(client, complete_session, query):
    response = client.get(f"/api/session/{complete_session}/invoice.pdf?{query}")
    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]) <= {"locale", "paper", "inline"}
    if query == "locale=xx_QQ":
        assert error["details"]["locale"] == [
            "Not a known locale; use one like en_US, en_GB, de_DE or fr_FR."
        ]


@pytest.mark.parametrize("extension", EXPORTS)
def test_unknown_session_is_404(client, extension):
    response = client.get(f"/api/session/{UNKNOWN}/invoice.{extension}")
    assert_error(response, 404, "session_not_found")


@pytest.mark.parametrize("extension", EXPORTS)
def test_no_invoice_yet_is_404(client, extension):
    session_id = start_turn(client, "hello")["session_id"]
    response = client.get(f"/api/session/{session_id}/invoice.{extension}")
    assert_error(response, 404, "no_invoice")


@pytest.mark.parametrize("extension", EINVOICES)
def test_an_invoice_without_what_en16931_needs_is_422(app, client, extension):
    session_id = session_with_invoice(app, client)  # a buyer name and one line, no more

    response = client.get(f"/api/session/{session_id}/invoice.{extension}")

    error = assert_error(response, 422, "einvoice_incomplete")
    missing = error["details"]["missing"]
    assert {m["field"] for m in missing} == {
        "seller.name",
        "seller.address",
        "seller.tax_id",
        "buyer.address",
        "due_date",
    }
    for entry in missing:
        assert set(entry) == {"field", "term", "message"} and entry["term"].startswith("BT-")
    assert "the seller's VAT number" in error["message"]


@pytest.mark.parametrize("extension", ["pdf", "html"])
def test_printable_documents_need_nothing_more(app, client, extension):
    session_id = session_with_invoice(app, client)
    response = client.get(f"/api/session/{session_id}/invoice.{extension}")
    assert response.status_code == 200


def test_another_key_gets_404(make_app):
    app = make_app(api_keys=("k1", "k2"))
    client = app.test_client()
    accepted = start_turn(
        client,
        script(invoice={**draft(), "seller": SELLER, "due_date": "2026-12-31"}),
        headers={"X-API-Key": "k1"},
    )
    run_job(app, accepted["job_id"])
    url = f"/api/session/{accepted['session_id']}/invoice.pdf"

    assert client.get(url, headers={"X-API-Key": "k1"}).status_code == 200
    assert_error(client.get(url, headers={"X-API-Key": "k2"}), 404, "session_not_found")
    assert_error(client.get(url), 401, "unauthorized")


def test_exports_are_documented(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for extension, (mimetype, _) in EXPORTS.items():
        operation = paths[f"/api/session/{{session_id}}/invoice.{extension}"]["get"]
        assert mimetype in operation["responses"]["200"]["content"]
        assert "404" in operation["responses"]
    assert "422" in paths["/api/session/{session_id}/invoice.ubl.xml"]["get"]["responses"]


def test_no_bidi_override_reaches_any_export_or_the_session(app, client, redis_client):
    spoof = "\u202egnp.exe"
    session_id = session_with_invoice(
        app,
        client,
        seller=SELLER,
        buyer=BUYER,
        currency="EUR",
        issue_date="2026-12-01",
        due_date="2026-12-31",
        items=[{"description": spoof, "quantity": "1", "unit_price": "10.00", "tax_rate": "0"}],
    )
    invoice = client.get(f"/api/session/{session_id}").get_json()["invoice"]
    assert invoice["items"][0]["description"] == "gnp.exe"

    # an invoice stored before the rule: the exports neutralise it themselves
    key = f"session:{session_id}"
    stored = redis_client.hget(key, "invoice").replace("gnp.exe", "\\u202egnp.exe")
    redis_client.hset(key, "invoice", stored)
    for extension in ("html", "ubl.xml", "cii.xml"):
        text = client.get(f"/api/session/{session_id}/invoice.{extension}").get_data(as_text=True)
        assert "gnp.exe" in text and "\u202e" not in text, extension
    pdf = client.get(f"/api/session/{session_id}/invoice.pdf").data
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "gnp.exe" in text and "\u202e" not in text
