"""The profile and clients through the HTTP API, on SQLite and PostgreSQL; the records'
endpoints in the OpenAPI document; 503 when the database is down."""

from __future__ import annotations

import pytest

from core.turns import TurnRunner
from tests.conftest import free_port
from tests.support.api import assert_error, run_job, start_turn
from tests.support.providers import BUYER, SELLER, ScriptedProvider, draft, script
from tests.support.scenarios import GERMAN, GERMAN_PUBLIC_BUYER, GERMAN_SELLER, PAYMENTS

KEY_A = {"X-API-Key": "k1"}
KEY_B = {"X-API-Key": "k2"}


@pytest.fixture
def app(make_app, records_url):
    app = make_app(api_keys=("k1", "k2"), database_url=records_url)
    yield app
    app.extensions["invoice_agent"].records.close()  # its pooled connections, now


@pytest.fixture
def client(app):
    return app.test_client()


def issue_for(app, client, buyer) -> dict:
    accepted = start_turn(
        client, script(invoice={**draft(), "seller": SELLER, "buyer": buyer}), headers=KEY_A
    )
    run_job(app, accepted["job_id"])
    response = client.post(f"/api/session/{accepted['session_id']}/issue", headers=KEY_A)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_empty_profile_is_filled_with_empty_sections(client):
    response = client.get("/api/profile", headers=KEY_A)
    assert response.status_code == 200
    assert response.get_json() == {
        "seller": {},
        "payment": {},
        "defaults": {},
        "numbering": {
            "invoice_pattern": "{year}-{seq:04}",
            "credit_note_pattern": "CN-{year}-{seq:04}",
        },
    }


def test_the_profile_is_patched_and_kept_per_key(client):
    body = {
        "seller": {"name": "Ingrid", "company": "Nordlys", "tax_id": "DK12345678"},
        "payment": {"means_code": "58", "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFF"},
        "defaults": {"currency": "EUR", "payment_terms_days": 14, "tax_rate": "19"},
        "numbering": {"invoice_pattern": "RE-{year}-{seq:03}"},
    }
    response = client.patch("/api/profile", json=body, headers=KEY_A)
    assert response.status_code == 200, response.get_json()
    profile = response.get_json()
    assert profile["payment"]["iban"] == "DE89370400440532013000"
    assert profile["defaults"] == body["defaults"]
    assert profile["numbering"]["invoice_pattern"] == "RE-{year}-{seq:03}"
    assert client.get("/api/profile", headers=KEY_A).get_json() == profile
    assert client.get("/api/profile", headers=KEY_B).get_json()["seller"] == {}
    cleared = client.patch("/api/profile", json={"payment": None}, headers=KEY_A).get_json()
    assert cleared["payment"] == {} and cleared["seller"] == profile["seller"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seller": {"email": "nope"}}, "seller"),
        ({"payment": {"iban": "DE00"}}, "payment"),
        ({"defaults": {"currency": "ABC"}}, "defaults"),
        ({"numbering": {"invoice_pattern": "{year}"}}, "numbering"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_a_wrong_profile_field_is_named(client, body, field):
    error = assert_error(
        client.patch("/api/profile", json=body, headers=KEY_A), 422, "validation_error"
    )
    assert field in error["details"]


# -- the seller's contact (BT-41..43) and electronic address (BT-34) -------------------------

CONTACT = {"name": "Anna Schmidt", "phone": "+49 30 1234567", "email": "anna@schmidt-it.example"}


def test_the_seller_contact_and_electronic_address_round_trip(client):
    seller = {**GERMAN_SELLER, "contact": CONTACT}
    response = client.patch("/api/profile", json={"seller": seller}, headers=KEY_A)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["seller"] == seller
    assert client.get("/api/profile", headers=KEY_A).get_json()["seller"] == seller

    # another seller field leaves them be; each is replaced as a whole, and null clears it
    kept = client.patch("/api/profile", json={"seller": {"phone": "+49 30 7"}}, headers=KEY_A)
    assert kept.get_json()["seller"]["contact"] == CONTACT
    replaced = client.patch(
        "/api/profile",
        json={"seller": {"contact": {"name": "Buchhaltung"}, "electronic_address": None}},
        headers=KEY_A,
    ).get_json()["seller"]
    assert replaced["contact"] == {"name": "Buchhaltung"}
    assert "electronic_address" not in replaced
    scheme = client.patch(
        "/api/profile",
        json={"seller": {"electronic_address": {"scheme": "em", "value": "a@b.example"}}},
        headers=KEY_A,
    ).get_json()["seller"]["electronic_address"]
    assert scheme == {"scheme": "EM", "value": "a@b.example"}


@pytest.mark.parametrize(
    ("seller", "path"),
    [
        (
            {"electronic_address": {"scheme": "1234", "value": "x"}},
            ("electronic_address", "scheme"),
        ),
        (
            {"electronic_address": {"scheme": "0088", "value": "123"}},
            ("electronic_address", "value"),
        ),
        (
            {"electronic_address": {"scheme": "9930", "value": "DE811907981"}},
            ("electronic_address", "value"),
        ),
        ({"electronic_address": {"scheme": "0204"}}, ("electronic_address", "value")),
        (
            {"electronic_address": {"scheme": "0088", "value": "4000001000005", "x": 1}},
            ("electronic_address", "x"),
        ),
        ({"contact": {"email": "nope"}}, ("contact", "email")),
        ({"contact": {"name": "x" * 201}}, ("contact", "name")),
        ({"contact": {"fax": "1"}}, ("contact", "fax")),
        ({"contact": "Anna"}, ("contact",)),
    ],
)
def test_a_wrong_contact_or_electronic_address_is_named_per_field(client, seller, path):
    before = client.get("/api/profile", headers=KEY_A).get_json()
    error = assert_error(
        client.patch("/api/profile", json={"seller": {"name": "A", **seller}}, headers=KEY_A),
        422,
        "validation_error",
    )
    details = error["details"]["seller"]
    for key in path:
        details = details[key]
    assert details, error
    assert client.get("/api/profile", headers=KEY_A).get_json() == before  # nothing written


def test_a_client_keeps_its_electronic_address_and_contact(app, client):
    issue_for(app, client, GERMAN_PUBLIC_BUYER)
    (stored,) = client.get("/api/clients", headers=KEY_A).get_json()["items"]
    assert stored["electronic_address"] == GERMAN_PUBLIC_BUYER["electronic_address"]
    path = f"/api/clients/{stored['client_id']}"
    address = {"scheme": "0088", "value": "4000001000005"}
    changed = client.patch(
        path, json={"electronic_address": address, "contact": {"name": "Frau Ober"}}, headers=KEY_A
    ).get_json()
    assert changed["electronic_address"] == address and changed["contact"] == {"name": "Frau Ober"}
    error = assert_error(
        client.patch(
            path, json={"electronic_address": {"scheme": "XX", "value": "1"}}, headers=KEY_A
        ),
        422,
        "validation_error",
    )
    assert "scheme" in error["details"]["electronic_address"]
    cleared = client.patch(path, json={"contact": None}, headers=KEY_A).get_json()
    assert "contact" not in cleared or cleared["contact"] is None
    assert client.get(path, headers=KEY_A).get_json()["electronic_address"] == address


def run_with_records(app, job_id: str) -> None:
    """Run a queued job as the worker does: its runner reads the owner's records."""
    svc = app.extensions["invoice_agent"]
    runner = TurnRunner.from_settings(
        svc.settings, svc.stores, ScriptedProvider(), records=svc.records
    )
    runner.run(job_id)


def test_an_invoice_started_from_the_profile_passes_xrechnung(app, client):
    """The contact and electronic address set once in the profile travel into a new draft,
    the issued invoice and its XRechnung and Peppol files; the chat never names them."""
    profile = {
        "seller": {**GERMAN_SELLER, "contact": CONTACT},
        "payment": {"means_code": "58", **PAYMENTS["DE"], "account_name": "Schmidt IT GmbH"},
    }
    assert client.patch("/api/profile", json=profile, headers=KEY_A).status_code == 200
    stated = {k: v for k, v in GERMAN.items() if k not in ("seller", "payment")}
    accepted = start_turn(client, script(invoice=stated), headers=KEY_A)
    run_with_records(app, accepted["job_id"])
    session_id = accepted["session_id"]
    invoice = client.get(f"/api/session/{session_id}", headers=KEY_A).get_json()["invoice"]
    assert invoice["seller"]["contact"] == CONTACT
    assert invoice["seller"]["electronic_address"] == GERMAN_SELLER["electronic_address"]

    response = client.post(f"/api/session/{session_id}/issue", headers=KEY_A)
    assert response.status_code == 201, response.get_json()
    number = response.get_json()["number"]
    issued = client.get(f"/api/invoices/{number}", headers=KEY_A).get_json()
    assert issued["seller"]["contact"] == CONTACT
    for path in (
        "ubl.xml?profile=xrechnung",
        "cii.xml?profile=xrechnung",
        "ubl.xml?profile=peppol",
    ):
        export = client.get(f"/api/invoices/{number}.{path}", headers=KEY_A)
        assert export.status_code == 200, (path, export.get_data(as_text=True)[:2000])
        assert b"+49 30 1234567" in export.data and b"DE811907980" in export.data

    # a profile without a way to reach the seller: XRechnung names what is missing
    cleared = {"contact": None, "phone": None, "email": None}
    client.patch("/api/profile", json={"seller": cleared}, headers=KEY_A)
    again = start_turn(client, script(invoice=stated), headers=KEY_A)
    run_with_records(app, again["job_id"])
    response = client.post(f"/api/session/{again['session_id']}/issue", headers=KEY_A)
    assert response.status_code == 201, response.get_json()
    error = assert_error(
        client.get(
            f"/api/invoices/{response.get_json()['number']}.ubl.xml?profile=xrechnung",
            headers=KEY_A,
        ),
        422,
        "einvoice_incomplete",
    )
    assert {"BR-DE-6", "BR-DE-7"} <= {m["rule"] for m in error["details"]["missing"]}


def test_clients_are_remembered_listed_edited_and_forgotten(app, client):
    issue_for(app, client, BUYER)
    issue_for(app, client, {**BUYER, "name": "ACME  corp"})  # the same client
    issue_for(app, client, {"name": "Globex", "email": "ap@globex.example"})
    page = client.get("/api/clients", headers=KEY_A).get_json()
    assert page["total"] == 2 and page["page"] == 1
    acme = next(c for c in page["items"] if c["name"] in ("Acme Corp", "ACME  corp"))
    assert acme["invoice_count"] == 2 and acme["last_invoice_number"]
    assert client.get("/api/clients?q=globex", headers=KEY_A).get_json()["total"] == 1
    assert client.get("/api/clients?q=GLOBEX.example", headers=KEY_A).get_json()["total"] == 1

    path = f"/api/clients/{acme['client_id']}"
    assert client.get(path, headers=KEY_A).get_json() == acme
    changed = client.patch(
        path, json={"phone": "+33 1 02 03", "tax_id": "FR40303265045"}, headers=KEY_A
    )
    assert changed.status_code == 200 and changed.get_json()["phone"] == "+33 1 02 03"
    assert_error(client.patch(path, json={"name": ""}, headers=KEY_A), 422, "validation_error")
    assert_error(
        client.patch(path, json={"invoice_count": 9}, headers=KEY_A), 422, "validation_error"
    )
    invoices = client.get(f"/api/invoices?client_id={acme['client_id']}", headers=KEY_A).get_json()
    assert invoices["total"] == 2

    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"phone": "1"}} if method == "patch" else {}
        response = getattr(client, method)(path, headers=KEY_B, **kwargs)
        assert_error(response, 404, "client_not_found")
    assert client.delete(path, headers=KEY_A).status_code == 204
    assert_error(client.get(path, headers=KEY_A), 404, "client_not_found")
    assert_error(client.delete(path, headers=KEY_A), 404, "client_not_found")
    assert client.get("/api/invoices", headers=KEY_A).get_json()["total"] == 3  # invoices stay


RECORD_OPERATIONS = {
    ("/api/profile", "get"): set(),
    ("/api/profile", "patch"): {"422"},
    ("/api/clients", "get"): {"422"},
    ("/api/clients/{client_id}", "get"): {"404"},
    ("/api/clients/{client_id}", "patch"): {"404", "422"},
    ("/api/clients/{client_id}", "delete"): {"404"},
    ("/api/session/{session_id}/issue", "post"): {"201", "404", "409", "422"},
    ("/api/invoices", "get"): {"422"},
    ("/api/invoices/{number}", "get"): {"404"},
    ("/api/invoices/{number}", "patch"): {"404", "422"},
    ("/api/invoices/{number}/credit-note", "post"): {"201", "404", "422"},
    ("/api/invoices/{number}/copy", "post"): {"201", "404"},
    ("/api/invoices/{number}.pdf", "get"): {"404", "422", "429"},
    ("/api/invoices/{number}.html", "get"): {"404", "422", "429"},
    ("/api/invoices/{number}.ubl.xml", "get"): {"404", "422", "429"},
    ("/api/invoices/{number}.cii.xml", "get"): {"404", "422", "429"},
    ("/api/invoices/{number}.facturx.pdf", "get"): {"404", "422", "429"},
}


def test_every_records_operation_documents_its_errors(client):
    document = client.get("/openapi.json").get_json()
    for (path, method), statuses in RECORD_OPERATIONS.items():
        operation = document["paths"][path][method]
        assert statuses | {"401", "429", "503"} <= set(operation["responses"]), (path, method)
        assert operation.get("summary"), (path, method)
    issue = document["paths"]["/api/session/{session_id}/issue"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in issue["parameters"])


def test_a_database_that_cannot_be_reached_answers_503(make_app):
    down = make_app(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    client = down.test_client()
    assert_error(client.get("/api/profile"), 503, "unavailable")
    assert_error(client.get("/api/invoices"), 503, "unavailable")
    assert_error(client.post("/api/session/" + "0" * 32 + "/issue"), 503, "unavailable")


def test_the_records_work_under_gunicorn_and_gevent(live_api, records_url):
    """psycopg and SQLite (and its writer lock) on gevent workers, as production runs them."""
    import requests

    api = live_api(DATABASE_URL=records_url, WEB_CONCURRENCY="2")
    patches = [{"seller": {"name": f"Seller {n}"}} for n in range(20)]
    with requests.Session() as http:
        for body in patches:
            response = http.patch(api.url("/api/profile"), json=body, timeout=10)
            assert response.status_code == 200, response.text
        profile = http.get(api.url("/api/profile"), timeout=10).json()
        assert profile["seller"] == {"name": "Seller 19"}
        assert http.get(api.url("/api/invoices"), timeout=10).json()["total"] == 0
