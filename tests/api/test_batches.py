"""POST/GET/DELETE /api/batches and results.csv against the real private Redis (no worker)."""

from __future__ import annotations

import csv
import io

import pytest
import redis

from tests.support.api import (
    assert_error,
    broker_messages,
    closed_url,
    job_ids,
    run_job,
    run_zip_export,
    session_ids,
)
from tests.support.providers import draft, script

BATCHES = "/api/batches"


def submit(client, messages, **extra):
    return client.post(BATCHES, json={"items": [{"message": m, **extra} for m in messages]})


def csv_upload(client, text: str, headers=None):
    return client.post(
        BATCHES,
        data={"file": (io.BytesIO(text.encode()), "requests.csv")},
        content_type="multipart/form-data",
        headers=headers or {},
    )


def test_json_batch_is_accepted_and_enqueued_on_the_batch_queue(client, redis_client):
    response = submit(
        client, ["Invoice A for 1 h at $5", "Invoice B for 2 h at $5"], reference="march"
    )

    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and body["total"] == 2
    assert body["counts"] == {
        "queued": 2,
        "running": 0,
        "succeeded": 0,
        "failed": 0,
        "cancelled": 0,
    }
    assert body["status_url"] == f"/api/batches/{body['batch_id']}"
    assert body["results_url"] == f"/api/batches/{body['batch_id']}/results.csv"
    assert [i["reference"] for i in body["items"]] == ["march", "march"]
    queued = broker_messages(redis_client, "batch")
    assert [m["body"][0] for m in queued] == [[i["job_id"]] for i in body["items"]]
    assert broker_messages(redis_client, "interactive") == []
    assert session_ids(redis_client) == {i["session_id"] for i in body["items"]}


def test_csv_upload_with_bom(client):
    response = csv_upload(client, "\ufeffmessage,reference\nInvoice A for 1 h at $5,a-1\n")
    assert response.status_code == 202
    assert response.get_json()["items"][0]["reference"] == "a-1"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"items": [{"message": ""}]}, "rows"),
        ({"items": []}, "items"),
        ({"items": [{"message": 5}]}, "items"),
        ({"items": "all of them"}, "items"),
        ({"items": [{"message": "ok", "colour": "red"}]}, "items"),
        ({}, "items"),
    ],
)
def test_invalid_json_batches_are_refused_whole(client, redis_client, body, field):
    error = assert_error(client.post(BATCHES, json=body), 422, "validation_error")
    assert field in error["details"]
    assert not job_ids(redis_client) and not list(redis_client.scan_iter("batch:*"))


def test_bad_csv_rows_are_named(client, redis_client):
    upload = "message,reference\nok,\n\n,\nfine,\n,orphan reference\n"
    error = assert_error(csv_upload(client, upload), 422, "validation_error")
    assert error["details"] == {"rows": {"6": ["The message is empty."]}}
    assert not job_ids(redis_client)


def test_csv_without_message_column_or_file(client):
    assert (
        "file"
        in assert_error(csv_upload(client, "text\nhello\n"), 422, "validation_error")["details"]
    )
    no_file = client.post(BATCHES, data={"other": "x"}, content_type="multipart/form-data")
    assert "file" in assert_error(no_file, 422, "validation_error")["details"]


def test_too_many_items(make_app):
    client = make_app(batch_max_items=3).test_client()
    error = assert_error(submit(client, ["a", "b", "c", "d"]), 422, "validation_error")
    assert error["details"] == {"items": ["At most 3 items."]}


def test_progress_pages_and_results(app, client):
    body = submit(client, [script(invoice=draft()), "no invoice here", "third"]).get_json()
    batch_id = body["batch_id"]
    run_job(app, body["items"][0]["job_id"])
    run_job(app, body["items"][1]["job_id"])

    page = client.get(f"{BATCHES}/{batch_id}?page=2&per_page=2").get_json()
    assert (page["page"], page["per_page"], page["pages"]) == (2, 2, 2)
    assert [i["job_id"] for i in page["items"]] == [body["items"][2]["job_id"]]
    assert page["status"] == "running"
    assert (page["counts"]["succeeded"], page["counts"]["failed"]) == (1, 1)

    results = client.get(body["results_url"])
    assert results.status_code == 200 and results.mimetype == "text/csv"
    assert f'filename="batch-{batch_id}.csv"' in results.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(results.get_data(as_text=True))))
    assert [r["status"] for r in rows] == ["succeeded", "failed", "queued"]
    assert rows[1]["error_code"] == "no_invoice_produced"
    assert (rows[0]["invoice_number"], rows[0]["buyer"], rows[0]["total"]) == (
        "",  # a draft: the batch was not asked to issue
        "Acme Corp",
        "6480.00",
    )


def test_page_arguments_are_validated(client):
    batch_id = submit(client, ["a"]).get_json()["batch_id"]
    assert_error(client.get(f"{BATCHES}/{batch_id}?per_page=0"), 422, "validation_error")
    assert_error(client.get(f"{BATCHES}/{batch_id}?page=x"), 422, "validation_error")


def test_delete_cancels_what_has_not_started(app, client):
    body = submit(client, [script(invoice=draft()), "b", "c"]).get_json()
    run_job(app, body["items"][0]["job_id"])

    cancelled = client.delete(f"{BATCHES}/{body['batch_id']}")

    assert cancelled.status_code == 200
    summary = cancelled.get_json()
    assert summary["status"] == "cancelled"
    assert summary["counts"]["cancelled"] == 2 and summary["counts"]["succeeded"] == 1
    assert run_job(app, body["items"][1]["job_id"]) == "skipped"


def test_batches_follow_ownership(make_app):
    client = make_app(api_keys=("k1", "k2")).test_client()
    mine = client.post(BATCHES, json={"items": [{"message": "a"}]}, headers={"X-API-Key": "k1"})
    batch_id = mine.get_json()["batch_id"]
    other = {"X-API-Key": "k2"}
    for response in (
        client.get(f"{BATCHES}/{batch_id}", headers=other),
        client.delete(f"{BATCHES}/{batch_id}", headers=other),
        client.get(f"{BATCHES}/{batch_id}/results.csv", headers=other),
    ):
        assert_error(response, 404, "batch_not_found")
    assert_error(client.post(BATCHES, json={"items": [{"message": "a"}]}), 401, "unauthorized")


def test_unknown_batch(client):
    assert_error(client.get(f"{BATCHES}/{'0' * 32}"), 404, "batch_not_found")


def test_broker_down_leaves_nothing_behind(make_app, redis_server, redis_client):
    client = make_app(celery_broker_url=closed_url()).test_client()
    assert_error(submit(client, ["a", "b"]), 503, "unavailable")
    assert not job_ids(redis_client) and not session_ids(redis_client)
    assert not list(redis_client.scan_iter("batch:*"))


def test_invoices_zip_holds_one_pdf_per_invoice_made(app, client, redis_client):
    import zipfile

    from pypdf import PdfReader

    body = submit(
        client,
        [
            script(invoice=draft(buyer="Acme Corp")),
            "no invoice",
            script(invoice=draft(buyer="Globex")),
        ],
    ).get_json()
    for item in body["items"]:
        run_job(app, item["job_id"])

    first = client.get(body["invoices_url"])  # a worker is asked to make it
    assert first.status_code == 202 and first.headers["Retry-After"] == "2"
    assert first.get_json() == {
        "status": "building",
        "done": 0,
        "total": 2,
        "status_url": body["invoices_url"],
    }

    def zip_tasks():
        messages = broker_messages(redis_client, "batch")
        return [m for m in messages if m["headers"]["task"] == "invoice_agent.export_batch_zip"]

    assert [task["body"][0] for task in zip_tasks()] == [[body["batch_id"]]]
    assert client.get(body["invoices_url"]).status_code == 202
    assert len(zip_tasks()) == 1  # asked once, not on every poll
    run_zip_export(app, body["batch_id"])

    response = client.get(body["invoices_url"])

    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f'filename="batch-{body["batch_id"]}.zip"' in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == ["draft-1.pdf", "draft-3.pdf"]  # drafts by item position
    texts = [PdfReader(archive.open(name)).pages[0].extract_text() for name in archive.namelist()]
    assert "Acme Corp" in texts[0] and "Globex" in texts[1] and "6,480.00" in texts[0]


def test_invoices_zip_follows_ownership(make_app):
    client = make_app(api_keys=("k1", "k2")).test_client()
    batch_id = client.post(
        BATCHES, json={"items": [{"message": "a"}]}, headers={"X-API-Key": "k1"}
    ).get_json()["batch_id"]
    response = client.get(f"{BATCHES}/{batch_id}/invoices.zip", headers={"X-API-Key": "k2"})
    assert_error(response, 404, "batch_not_found")


@pytest.fixture
def redis_fails_on(monkeypatch):
    """redis_fails_on("LRANGE"): that command (only) finds Redis unreachable from now on."""

    def fail(*commands: str) -> None:
        original = redis.Redis.execute_command

        def execute(self, *args, **options):
            if str(args[0]).upper() in commands:
                raise redis.ConnectionError("Redis went away")
            return original(self, *args, **options)

        monkeypatch.setattr(redis.Redis, "execute_command", execute)

    return fail


def test_redis_lost_while_cancelling_a_batch_is_503(client, redis_fails_on):
    created = client.post("/api/batches", json={"items": [{"message": "a"}, {"message": "b"}]})
    batch_id = created.get_json()["batch_id"]
    redis_fails_on("LRANGE")  # after the ownership check, while reading the items

    assert_error(client.delete(f"/api/batches/{batch_id}"), 503, "unavailable")


def test_redis_lost_while_downloading_a_zip_is_503(app, client, redis_fails_on):
    created = client.post("/api/batches", json={"items": [{"message": "a"}]})
    batch_id = created.get_json()["batch_id"]
    assert client.get(f"/api/batches/{batch_id}/invoices.zip").status_code == 202
    run_zip_export(app, batch_id)
    redis_fails_on("LLEN")  # counting the ZIP's chunks

    assert_error(client.get(f"/api/batches/{batch_id}/invoices.zip"), 503, "unavailable")


def test_a_zip_that_cannot_be_asked_for_is_asked_for_again(make_app, redis_server):
    broken = make_app(celery_broker_url=closed_url()).test_client()
    healthy = make_app().test_client()
    batch_id = healthy.post(BATCHES, json={"items": [{"message": "a"}]}).get_json()["batch_id"]

    assert_error(broken.get(f"{BATCHES}/{batch_id}/invoices.zip"), 503, "unavailable")
    assert healthy.get(f"{BATCHES}/{batch_id}/invoices.zip").status_code == 202  # not stuck


def test_a_broken_multipart_upload_is_an_upload_error_not_json(client, redis_client):
    response = client.post(
        BATCHES,
        data=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n',
        content_type="multipart/form-data; boundary=xyz",
    )

    error = assert_error(response, 400, "invalid_upload")
    assert "multipart/form-data" in error["message"]
    assert not list(redis_client.scan_iter("batch:*"))
