"""GET /api/session/{id}/invoice.{pdf,html,ubl.xml,cii.xml,facturx.pdf}: a draft's, and once
the session's invoice is issued, the issued invoice's (its e-invoices need its number)."""

from __future__ import annotations

import io
import json

import pypdf
import pytest
from lxml import etree

from tests.support.api import assert_error, run_job, start_turn
from tests.support.providers import BUYER, SELLER, draft, script
from tests.support.scenarios import SCENARIOS

UNKNOWN = "0123456789abcdef0123456789abcdef"
EXPORTS = {
    "pdf": "application/pdf",
    "html": "text/html",
    "ubl.xml": "application/xml",
    "cii.xml": "application/xml",
    "facturx.pdf": "application/pdf",
}
EINVOICES = ("ubl.xml", "cii.xml", "facturx.pdf")


def session_with_invoice(app, client, **facts) -> str:
    """A finished turn whose invoice is `draft()` (buyer Acme Corp, 40 h at 150) plus `facts`."""
    accepted = start_turn(client, script(invoice={**draft(), **facts}))
    assert run_job(app, accepted["job_id"]) == "applied"
    return accepted["session_id"]


def issue(client, session_id: str) -> str:
    """Issue the session's invoice; its number."""
    response = client.post(f"/api/session/{session_id}/issue")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["number"]


def number_of(client, session_id: str) -> str:
    return client.get(f"/api/session/{session_id}/invoice").get_json()["number"]


@pytest.fixture
def complete_session(app, client) -> str:
    """A session whose invoice has everything EN 16931 asks for, issued."""
    session_id = session_with_invoice(
        app,
        client,
        seller=SELLER,
        buyer=BUYER,
        currency="EUR",
        due_date="2026-12-31",
        issue_date="2026-12-01",
    )
    issue(client, session_id)
    return session_id


@pytest.mark.parametrize("extension", EXPORTS)
def test_each_export_has_its_content_type_and_file_name(client, complete_session, extension):
    mimetype = EXPORTS[extension]
    number = number_of(client, complete_session)
    assert number.startswith("2026-")  # the issue date's year
    name = f"{number}.{extension}"

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
        assert number in text and "Acme Corp" in text and "€6,480.00" in text
        assert "DRAFT" not in text
    elif mimetype == "application/xml":
        root = etree.fromstring(body)
        assert number in body.decode()
        assert root.tag.endswith(("}Invoice", "}CrossIndustryInvoice"))
    else:
        assert "<!DOCTYPE html>" in body.decode() and number in body.decode()


@pytest.mark.parametrize("extension", ["pdf", "html"])
def test_a_drafts_printable_documents_say_draft_where_the_number_would_be(app, client, extension):
    session_id = session_with_invoice(app, client, seller=SELLER, buyer=BUYER)
    response = client.get(f"/api/session/{session_id}/invoice.{extension}")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f"filename=invoice.{extension}")
    if extension == "pdf":
        text = pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    else:
        text = response.get_data(as_text=True)
    assert "DRAFT" in text


@pytest.mark.parametrize("extension", EINVOICES)
def test_a_drafts_einvoice_is_422_issue_it_first(app, client, extension):
    session_id = session_with_invoice(
        app, client, seller=SELLER, buyer=BUYER, currency="EUR", due_date="2026-12-31"
    )
    response = client.get(f"/api/session/{session_id}/invoice.{extension}")

    error = assert_error(response, 422, "einvoice_incomplete")
    (missing,) = error["details"]["missing"]  # everything else is there
    assert (missing["field"], missing["term"]) == ("number", "BT-1")
    assert "issue the invoice first" in missing["message"]

    issue(client, session_id)
    assert client.get(f"/api/session/{session_id}/invoice.{extension}").status_code == 200


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

    number = number_of(client, complete_session)
    assert inline.headers["Content-Disposition"] == f"inline; filename={number}.pdf"
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
        "number",  # a draft: BT-1 comes with issuing
        "seller.name",
        "seller.address",
        "seller.tax_id",
        "buyer.address",
        "due_date",
    }
    for entry in missing:
        assert set(entry) == {"field", "term", "message", "rule"}
        assert entry["term"].startswith("BT-")
        assert entry["rule"].startswith("BR-")  # BR-02 for BT-1
    assert error["details"]["profile"] == "en16931"
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
    for extension, mimetype in EXPORTS.items():
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
    text = client.get(f"/api/session/{session_id}/invoice.html").get_data(as_text=True)
    assert "gnp.exe" in text and "\u202e" not in text
    pdf = client.get(f"/api/session/{session_id}/invoice.pdf").data
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "gnp.exe" in text and "\u202e" not in text
    issue(client, session_id)  # issued from that stored draft: its e-invoices have a number
    for extension in ("html", "ubl.xml", "cii.xml"):
        text = client.get(f"/api/session/{session_id}/invoice.{extension}").get_data(as_text=True)
        assert "gnp.exe" in text and "\u202e" not in text, extension


# --- e-invoice profiles ---------------------------------------------------------------------

SPECIFICATION = {
    "en16931": "urn:cen.eu:en16931:2017",
    "xrechnung": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
    "peppol": "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
}
XML_NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def chat_session(app, client, draft_json) -> str:
    """A session whose invoice the (scripted) model stated as `draft_json`, issued."""
    accepted = start_turn(client, script(invoice=draft_json))
    assert run_job(app, accepted["job_id"]) == "applied"
    issue(client, accepted["session_id"])
    return accepted["session_id"]


@pytest.mark.parametrize(
    ("name", "syntax", "profile"),
    [(name, s, p) for name, (_, exports) in SCENARIOS.items() for s, p in exports],
)
def test_each_scenario_is_served_in_each_profile_it_needs(app, client, name, syntax, profile):
    session_id = chat_session(app, client, SCENARIOS[name][0])
    invoice = client.get(f"/api/session/{session_id}/invoice").get_json()

    response = client.get(f"/api/session/{session_id}/invoice.{syntax}.xml?profile={profile}")

    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    root = etree.fromstring(response.data)
    if syntax == "ubl":
        assert root.xpath("/*/cbc:CustomizationID/text()", namespaces=XML_NS) == [
            SPECIFICATION[profile]
        ]
        assert root.xpath("//cbc:PayableAmount/text()", namespaces=XML_NS) == [
            invoice["amount_due"]
        ]
    else:
        assert root.xpath(
            "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()", namespaces=XML_NS
        ) == [SPECIFICATION[profile]]
        assert root.xpath("//ram:DuePayableAmount/text()", namespaces=XML_NS) == [
            invoice["amount_due"]
        ]


def test_the_french_scenario_is_served_as_factur_x(app, client):
    session_id = chat_session(app, client, SCENARIOS["french"][0])
    response = client.get(f"/api/session/{session_id}/invoice.facturx.pdf")
    assert response.status_code == 200
    attachment = pypdf.PdfReader(io.BytesIO(response.data)).attachments["factur-x.xml"][0]
    assert b"VATEX-FR-CGI261-4" in attachment


@pytest.mark.parametrize(
    ("extension", "profile"),
    [("ubl.xml", "zugferd"), ("cii.xml", "peppol"), ("ubl.xml", "XRECHNUNG")],
)
def test_an_unknown_profile_is_a_validation_error(client, complete_session, extension, profile):
    response = client.get(f"/api/session/{complete_session}/invoice.{extension}?profile={profile}")
    error = assert_error(response, 422, "validation_error")
    assert "profile" in json.dumps(error["details"])


def test_what_xrechnung_still_needs_is_listed_with_rule_ids(client, complete_session):
    response = client.get(f"/api/session/{complete_session}/invoice.ubl.xml?profile=xrechnung")

    error = assert_error(response, 422, "einvoice_incomplete")
    assert error["details"]["profile"] == "xrechnung"
    assert error["message"].startswith("An XRechnung 3.0 e-invoice needs more information")
    rules = {m["rule"]: m for m in error["details"]["missing"]}
    assert {"BR-DE-1", "BR-DE-15", "BR-DE-6"} <= set(rules)
    assert rules["BR-DE-15"] == {
        "field": "buyer_reference",
        "term": "BT-10",
        "message": rules["BR-DE-15"]["message"],
        "rule": "BR-DE-15",
    }
    assert client.get(f"/api/session/{complete_session}/invoice.ubl.xml").status_code == 200


def test_peppol_refuses_an_email_as_the_electronic_address(app, client):
    draft = json.loads(json.dumps(SCENARIOS["belgian"][0]))
    draft["seller"]["electronic_address"] = None
    session_id = chat_session(app, client, draft)

    response = client.get(f"/api/session/{session_id}/invoice.ubl.xml?profile=peppol")

    error = assert_error(response, 422, "einvoice_incomplete")
    (missing,) = error["details"]["missing"]
    assert missing["rule"] == "PEPPOL-EN16931-R020"
    assert "an e-mail address is not a Peppol address" in missing["message"]


def test_the_openapi_document_offers_the_profiles(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for extension, offered in (("ubl.xml", 3), ("cii.xml", 2)):
        parameters = paths[f"/api/session/{{session_id}}/invoice.{extension}"]["get"]["parameters"]
        (profile,) = [p for p in parameters if p["name"] == "profile"]
        assert profile["in"] == "query" and len(profile["schema"]["enum"]) == offered


# --- bad input: a clear 422, never a file a recipient rejects ---------------------------------


def failed_turn(app, client, draft_json) -> dict:
    accepted = start_turn(client, script(invoice=draft_json))
    run_job(app, accepted["job_id"])
    job = client.get(f"/api/jobs/{accepted['job_id']}").get_json()
    assert job["status"] == "failed", job
    assert client.get(f"/api/session/{accepted['session_id']}").get_json()["invoice"] is None
    return job["error"]


def test_an_iban_with_a_wrong_checksum_fails_the_turn_naming_the_field(app, client):
    draft = json.loads(json.dumps(SCENARIOS["german"][0]))
    draft["payment"]["iban"] = "DE89370400440532013001"
    error = failed_turn(app, client, draft)
    assert error["code"] == "invalid_invoice"
    assert "iban" in error["message"].lower() or "IBAN" in json.dumps(error)


def test_an_unknown_eas_scheme_fails_the_turn_naming_the_field(app, client):
    draft = json.loads(json.dumps(SCENARIOS["belgian"][0]))
    draft["buyer"]["electronic_address"] = {"scheme": "9999", "value": "DE136695976"}
    error = failed_turn(app, client, draft)
    assert error["code"] == "invalid_invoice" and "EAS" in json.dumps(error)


def test_reverse_charge_without_the_buyers_vat_number_fails_the_turn(app, client):
    draft = json.loads(json.dumps(SCENARIOS["belgian"][0]))
    draft["buyer"]["tax_id"] = None
    error = failed_turn(app, client, draft)
    assert error["code"] == "invalid_invoice" and "VAT number" in error["message"]


def test_a_vat_number_in_the_wrong_format_for_its_country_is_a_422_at_export(app, client):
    draft = json.loads(json.dumps(SCENARIOS["dutch"][0]))
    draft["seller"]["tax_id"] = "NL853746334B01"
    session_id = chat_session(app, client, draft)

    response = client.get(f"/api/session/{session_id}/invoice.ubl.xml?profile=peppol")

    error = assert_error(response, 422, "einvoice_incomplete")
    (missing,) = error["details"]["missing"]
    assert (missing["field"], missing["rule"]) == ("seller.tax_id", "IA-02")
    assert "Netherlands" in missing["message"]
