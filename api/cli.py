"""`invoice-agent`: the command-line client of the HTTP API.

    invoice-agent batch requests.csv --api http://localhost:8000 [--api-key KEY]
                  --out results.csv [--zip invoices.zip] [--issue]

Uploads the CSV (columns message[,reference]) as a batch, shows a progress bar until every
item is finished, writes the results CSV (and, with --zip, the invoices as a ZIP of PDFs,
which a worker makes first: a second progress bar), prints a summary, and exits 1 when items
failed (2 when the batch could not be submitted or followed). With --issue, every invoice made
is issued, numbered in the CSV's row order (the results CSV then carries the numbers). Asked
to slow down (429), it waits as long as the API says and tries again.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import requests
from tqdm import tqdm

POLL_SECONDS = 1.0
FINISHED = ("completed", "cancelled")
MAX_WAIT_ON_429 = 60.0  # longer waits than the API asks for are not worth it


class ApiError(Exception):
    """The API answered with an error (its message is for a person)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="invoice-agent", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    batch = commands.add_parser("batch", help="generate many invoices from a CSV file")
    batch.add_argument("csv", type=Path, help="CSV with a 'message' column (and 'reference')")
    batch.add_argument("--api", default="http://localhost:8000", help="the API's base URL")
    batch.add_argument(
        "--api-key",
        default=os.environ.get("INVOICE_AGENT_API_KEY"),
        help="API key (default: $INVOICE_AGENT_API_KEY)",
    )
    batch.add_argument(
        "--out", type=Path, default=Path("results.csv"), help="where to write the results CSV"
    )
    batch.add_argument(
        "--zip", type=Path, default=None, help="also save the invoices' PDFs as one ZIP here"
    )
    batch.add_argument(
        "--issue",
        action="store_true",
        help="issue every invoice made (numbered in row order) instead of leaving drafts",
    )
    batch.add_argument("--timeout", type=float, default=3600, help="give up after SECONDS")
    args = parser.parse_args(argv)
    try:
        return run_batch(args)
    except (ApiError, requests.RequestException, OSError) as exc:
        print(f"invoice-agent: {exc}", file=sys.stderr)
        return 2


class PatientSession(requests.Session):
    """A session that, asked to slow down (429), waits Retry-After seconds and tries again."""

    def request(self, method, url, *args, **kwargs):
        deadline = time.monotonic() + MAX_WAIT_ON_429 * 5
        while True:
            response = super().request(method, url, *args, **kwargs)
            if response.status_code != 429 or time.monotonic() > deadline:
                return response
            wait = _retry_after(response)
            print(f"invoice-agent: asked to slow down; waiting {wait:.0f} s", file=sys.stderr)
            time.sleep(wait)


def _retry_after(response: requests.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.5), MAX_WAIT_ON_429)
    except ValueError:
        return 1.0


def run_batch(args: argparse.Namespace) -> int:
    session = PatientSession()
    if args.api_key:
        session.headers["X-API-Key"] = args.api_key
    base = args.api.rstrip("/")
    upload = args.csv.read_bytes()  # read once: a retried upload sends it again
    batch = _json(
        session.post(
            f"{base}/api/batches",
            files={"file": (args.csv.name, upload)},
            data={"issue": "true"} if args.issue else {},
            timeout=60,
        )
    )
    print(f"Submitted batch {batch['batch_id']} with {batch['total']} items.", file=sys.stderr)

    deadline = time.monotonic() + args.timeout
    with tqdm(total=batch["total"], unit="invoice", file=sys.stderr) as progress:
        while True:
            batch = _json(
                session.get(
                    f"{base}/api/batches/{batch['batch_id']}", params={"per_page": 1}, timeout=30
                )
            )
            counts = batch["counts"]
            progress.update(
                counts["succeeded"] + counts["failed"] + counts["cancelled"] - progress.n
            )
            progress.set_postfix(failed=counts["failed"], running=counts["running"])
            if batch["status"] in FINISHED:
                break
            if time.monotonic() > deadline:
                raise ApiError(f"the batch did not finish within {args.timeout:.0f} s")
            time.sleep(POLL_SECONDS)

    results = session.get(base + batch["results_url"], timeout=60)
    _check(results)
    args.out.write_bytes(results.content)
    if args.zip:
        _save_zip(session, base + batch["invoices_url"], args.zip, deadline)
    counts = batch["counts"]
    print(
        f"{counts['succeeded']} succeeded, {counts['failed']} failed, "
        f"{counts['cancelled']} cancelled. Results: {args.out}",
        file=sys.stderr,
    )
    return 1 if counts["failed"] or counts["cancelled"] else 0


def _save_zip(session: requests.Session, url: str, path: Path, deadline: float) -> None:
    """Ask for the batch's ZIP, follow its making (202 and progress), then save it."""
    with tqdm(unit="pdf", desc="ZIP", file=sys.stderr) as progress:
        while True:
            response = session.get(url, stream=True, timeout=60)
            if response.status_code != 202:
                break
            made = response.json()
            progress.total = made["total"]
            progress.update(made["done"] - progress.n)
            if time.monotonic() > deadline:
                raise ApiError("the ZIP was not ready in time")
            time.sleep(_retry_after(response))
    _check(response)
    with path.open("wb") as out:
        for chunk in response.iter_content(chunk_size=1 << 16):
            out.write(chunk)
    print(f"Invoices: {path}", file=sys.stderr)


def _check(response: requests.Response) -> None:
    if response.ok:
        return
    try:
        error = response.json()["error"]
        message = f"{error['message']} ({error['code']}, HTTP {response.status_code})"
        if error.get("details"):
            message += f": {error['details']}"
    except (ValueError, KeyError, TypeError):
        message = f"HTTP {response.status_code} from {response.url}"
    raise ApiError(message)


def _json(response: requests.Response) -> dict:
    _check(response)
    return response.json()


if __name__ == "__main__":
    sys.exit(main())
