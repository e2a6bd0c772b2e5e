"""One client process of tests/faults/test_issuing_under_kills.py:
`python -m tests.faults.issuing_client URLS CLIENT COUNT OUT`.

It drafts and issues COUNT invoices one after the other, as a person (or a script) would over
HTTP: POST /api/generate-invoice with a scripted message that makes a complete draft, wait for
the turn, then POST /api/session/{id}/issue with the Idempotency-Key `c<CLIENT>-<i>`. URLS are
the API processes (comma-separated); a request goes to one of them, and one that fails to
connect, is cut off mid-way (the process was killed) or answers 503 is sent again, to the next
one, with the same key. It appends "<key> <number> <session_id>" to OUT as each invoice is
issued (flushed, so the test sees the progress), and at the end a line "# {json of counts}".
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections import Counter

import requests

from tests.support.providers import draft, script

RETRYABLE = {502, 503, 504}
FINAL = ("succeeded", "failed")
# refused, reset, or the answer cut off mid-body: the API process died (or was never there)
CUT_OFF = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


class Client:
    def __init__(self, urls: list[str], seed: int):
        self.urls = urls
        self.turn = itertools.count(seed)
        self.http = requests.Session()
        self.counts: Counter[str] = Counter()

    def request(self, method: str, path: str, what: str, **options) -> requests.Response:
        """The answer of the first API process that gives one other than 5xx-unavailable."""
        for _attempt in range(600):
            url = self.urls[next(self.turn) % len(self.urls)] + path
            try:
                response = self.http.request(method, url, timeout=60, **options)
            except CUT_OFF as error:
                refused = "refused" in str(error) or "NewConnectionError" in str(error)
                self.counts[f"{what}_{'refused' if refused else 'cut_off'}"] += 1
                self.http.close()  # the kept-alive connection may be to the dead process
                self.http = requests.Session()
                time.sleep(0.05)
                continue
            if response.status_code in RETRYABLE:
                self.counts[f"{what}_{response.status_code}"] += 1
                time.sleep(0.1)
                continue
            return response
        raise SystemExit(f"{method} {path}: no API process answered")

    def draft(self, client: int, index: int) -> str:
        """A session whose draft is complete (the seller comes from the profile)."""
        message = script(
            reply=f"Drafted {client}-{index}.",
            invoice=draft(
                buyer=f"Client {client}",
                items=((f"Work {index}", str(index % 7 + 1), f"{100 + index}.00"),),
            ),
        )
        while True:
            accepted = self.request(
                "POST", "/api/generate-invoice", "draft", json={"message": message}
            )
            if accepted.status_code != 202:
                raise SystemExit(f"generate-invoice: {accepted.status_code} {accepted.text}")
            job_id = accepted.json()["job_id"]
            job = self.wait(job_id)
            if job["status"] == "succeeded":
                return accepted.json()["session_id"]
            self.counts["drafts_failed"] += 1  # e.g. lost with a killed worker: draft again
            sys.stderr.write(f"turn {job_id} failed: {job.get('error')}\n")

    def wait(self, job_id: str) -> dict:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            response = self.request("GET", f"/api/jobs/{job_id}?wait=5", "wait")
            job = response.json()
            if response.status_code == 200 and job["status"] in FINAL:
                return job
        raise SystemExit(f"job {job_id} did not finish")

    def issue(self, session_id: str, key: str) -> str:
        path = f"/api/session/{session_id}/issue"
        for _attempt in range(100):
            response = self.request("POST", path, "issue", headers={"Idempotency-Key": key})
            if response.status_code == 201:
                if response.headers.get("Idempotent-Replayed") == "true":
                    self.counts["issue_replayed"] += 1
                return response.json()["number"]
            if response.status_code == 409 and response.json()["error"]["code"] == (
                "turn_in_progress"
            ):
                time.sleep(0.1)
                continue
            raise SystemExit(f"issue {key}: {response.status_code} {response.text}")
        raise SystemExit(f"issue {key}: still refused")


def main(urls: str, client: int, count: int, out: str) -> None:
    api = Client(urls.split(","), seed=client)
    with open(out, "a", buffering=1) as progress:
        for index in range(count):
            key = f"c{client}-{index}"
            session_id = api.draft(client, index)
            number = api.issue(session_id, key)
            progress.write(f"{key} {number} {session_id}\n")
        progress.write(f"# {json.dumps(api.counts)}\n")


if __name__ == "__main__":
    urls, client, count, out = sys.argv[1:]
    main(urls, int(client), int(count), out)
