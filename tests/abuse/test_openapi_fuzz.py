"""schemathesis against the app's own /openapi.json, in-process over WSGI.

API keys off, a very high rate limit, the private Redis. Every operation of the document is
fuzzed with schema-valid requests (positive) and schema-breaking ones (negative), about
`ABUSE_FUZZ_EXAMPLES` (default 80) per operation and mode; path ids are random or, half the
time, ids of real sessions, jobs and batches seeded before each operation, so the success
bodies (sessions with invoices, finished and failed jobs, batches, every export) are
checked too, not only 404s.

Each answer must be: no 5xx; a status the document lists for the operation (or one of the
errors it should list, see `test_every_error_an_operation_gives_is_documented`); a body and
content type matching the document; errors in the one error shape with a documented code.

The tests at the end pin what the document must say beyond what the schemas derive
(api/openapi.py): decimal strings, every error status, the API-key schemes, strict nullable
nesting and the limits from settings.
"""

from __future__ import annotations

import copy
import io
import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask, Response
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import SchemathesisError
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from api.openapi import ErrorResponses
from tests.abuse.conftest import FixedAnswer, complete_draft, error_of, run_job, turn

EXAMPLES = int(os.environ.get("ABUSE_FUZZ_EXAMPLES", "80"))  # per operation and mode
MIN_REQUESTS = {GenerationMode.POSITIVE: 1000, GenerationMode.NEGATIVE: 300}
TURNS = ("/api/generate-invoice", "/api/chat")
DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}

# positive_data_acceptance is left out: the API refuses some schema-valid requests for rules
# the document does not state (see test_request_limits_are_documented); it answers those
# with a documented 422, which the checks below still hold to the error shape.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    use_after_free,
    ensure_resource_availability,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]


# -- what the document should say -------------------------------------------------------------


def operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def decimals_as_numbers(document: dict[str, Any]) -> list[str]:
    """Component properties typed "number": every one is a decimal *string* in the JSON."""
    return sorted(
        f"{name}.{prop}"
        for name, schema in document["components"]["schemas"].items()
        for prop, spec in (schema.get("properties") or {}).items()
        if spec.get("type") == "number"
    )


def loose_nullables(document: dict[str, Any]) -> list[str]:
    """Nullable nested fields documented as anyOf [any object, the schema]: unchecked."""
    return sorted(
        f"{name}.{prop}"
        for name, schema in document["components"]["schemas"].items()
        for prop, spec in (schema.get("properties") or {}).items()
        if {"type": "object", "nullable": True} in spec.get("anyOf", ())
    )


def repaired(document: dict[str, Any]) -> dict[str, Any]:
    """The document as it should be, so that bodies are checked for what they really hold.

    Decimals become the strings they are (as documented, "minimum": "0" is not even valid,
    and every invoice would fail); a nullable nested field becomes that schema or null (as
    documented, anyOf [{"type": "object"}, …] lets any object through, so an invoice, a
    result or an error body would never be checked). Both are no-ops once the document is
    fixed.
    """
    fixed = copy.deepcopy(document)
    for schema in fixed["components"]["schemas"].values():
        for prop, spec in (schema.get("properties") or {}).items():
            if spec.get("type") == "number":
                kept = {k: spec[k] for k in ("description", "nullable", "readOnly") if k in spec}
                schema["properties"][prop] = {**DECIMAL, **kept}
            loose = {"type": "object", "nullable": True}
            if loose in spec.get("anyOf", ()):
                (ref,) = [branch for branch in spec["anyOf"] if branch != loose]
                schema["properties"][prop] = {"allOf": [ref], "nullable": True}
    return fixed


# -- seeding -------------------------------------------------------------------------------------


def seed(app: Flask) -> dict[str, list[str]]:
    """Real things to point the fuzzer at: finished, never queued (a long-poll would wait)."""
    complete = turn(app, FixedAnswer(complete_draft()))
    no_invoice = turn(app, FixedAnswer(None, "Which client should I bill?"))
    failed = turn(app, FixedAnswer({"items": "not a list"}))
    assert (complete["outcome"], no_invoice["outcome"], failed["outcome"]) == (
        "applied",
        "applied",
        "failed",
    )
    response = app.test_client().post(
        "/api/batches",
        json={"items": [{"message": "Invoice Acme", "reference": "r1"}, {"message": "Hello"}]},
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    batch = response.get_json()
    first, second = (item["job_id"] for item in batch["items"])
    run_job(app, first, FixedAnswer(complete_draft()))
    run_job(app, second, FixedAnswer(None, "Which client should I bill?"))
    turns = (complete, no_invoice, failed)
    kept = turn(app, FixedAnswer(complete_draft()))
    issued = app.test_client().post(f"/api/session/{kept['session_id']}/issue").get_json()
    attached = app.test_client().post(
        "/api/generate-invoice",
        data={"message": "Bill this", "files": [(io.BytesIO(b"Task,Hours\nDesign,2\n"), "t.csv")]},
        content_type="multipart/form-data",
    )
    assert attached.status_code == 202, attached.get_data(as_text=True)
    attached = attached.get_json()
    assert run_job(app, attached["job_id"], FixedAnswer(complete_draft())) == "applied"
    return {
        "session_id": [t["session_id"] for t in turns],
        "job_id": [t["job_id"] for t in turns] + [first, second],
        "batch_id": [batch["batch_id"]],
        "number": [issued["number"]],
        "client_id": [issued["client_id"]],
        "attachment_id": [attached["attachments"][0]["attachment_id"]],
        # a route with both: the pair that exists
        "session_id+attachment_id": [
            (attached["session_id"], attached["attachments"][0]["attachment_id"])
        ],
    }


def cases(operation, mode: GenerationMode, ids: dict[str, list[str]]):
    """Generated cases; in positive mode half of them aim at seeded sessions, jobs, batches."""
    generated = operation.as_strategy(mode)
    if mode is not GenerationMode.POSITIVE:
        return generated
    aimed = []
    names = re.findall(r"{(\w+)}", operation.path)
    if len(names) == 2:  # /api/session/{session_id}/attachments/{attachment_id}
        aimed.append(
            st.sampled_from(ids["+".join(names)]).flatmap(
                lambda pair: operation.as_strategy(
                    mode, path_parameters=dict(zip(names, pair, strict=True))
                )
            )
        )
    for name in names:
        aimed.append(
            st.sampled_from(ids[name]).flatmap(
                lambda value, name=name: operation.as_strategy(mode, path_parameters={name: value})
            )
        )
    if operation.path in TURNS:
        aimed.append(st.tuples(generated, st.sampled_from(ids["session_id"])).map(_with_session))
    return st.one_of(generated, *aimed) if aimed else generated


def _with_session(pair):
    case, session_id = pair
    if isinstance(case.body, dict):
        case.body["session_id"] = session_id
    return case


# -- the run -------------------------------------------------------------------------------------


def as_flask(response) -> Response:
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    return Response(response.content, status=response.status_code, headers=headers)


def check_answer(path: str, spec: dict[str, Any], response: Response) -> None:
    """Our own checks, beyond schemathesis's: documented status, error shape, request id."""
    status = str(response.status_code)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    documented = set(spec["responses"]) - {"default"}
    assert status in documented, f"undocumented {status}"  # what api/openapi.py added, too
    assert response.headers.get("X-Request-ID")
    if response.status_code >= 400:
        error = error_of(response)
        if response.status_code == 404 and "{" in path:
            resource = re.findall(r"{(\w+)}", path)[-1].removesuffix("_id")
            resource = {"number": "invoice"}.get(resource, resource)  # /api/invoices/{number}
            assert error["code"] in {f"{resource}_not_found", "no_invoice"}, error


@dataclass
class Tally:
    statuses: Counter[int]
    per_operation: Counter[str]
    failures: Counter[str]


def fuzz_operation(operation, spec: dict[str, Any], strategy, checks, tally: Tally) -> None:
    """Send EXAMPLES generated requests to one operation; failures are tallied, not raised."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same requests on every run: CI stays reproducible
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        tally.per_operation[operation.label] += 1
        try:
            response = case.call()
            tally.statuses[response.status_code] += 1
            check_answer(operation.path, spec, as_flask(response))
            case.validate_response(response, checks=checks)
        except (AssertionError, BaseExceptionGroup, SchemathesisError) as failure:
            for one in getattr(failure, "exceptions", (failure,)):
                title = getattr(one, "title", type(one).__name__)
                text = " ".join(str(getattr(one, "message", "") or one).split())
                tally.failures[f"{operation.label}: {title}: {text[:300]}"] += 1

    run()


def fuzz(app: Flask, mode: GenerationMode) -> dict[str, Any]:
    document = app.test_client().get("/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(repaired(document))
    schema.app = app
    checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS
    statuses: Counter[int] = Counter()
    per_operation: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    unsatisfiable: list[str] = []

    # DELETEs last, so they do not empty what the other operations are pointed at
    ops = sorted((r.ok() for r in schema.get_all_operations()), key=lambda o: o.method == "delete")
    for operation in ops:
        spec = document["paths"][operation.path][operation.method.lower()]
        tally = Tally(statuses, per_operation, failures)
        try:
            fuzz_operation(operation, spec, cases(operation, mode, seed(app)), checks, tally)
        except Unsatisfiable:  # nothing to break: e.g. a path id alone, which any string fits
            unsatisfiable.append(operation.label)
    return {
        "requests": sum(per_operation.values()),
        "operations": len(per_operation),
        "statuses": dict(sorted(statuses.items())),
        "failures": failures,
        "not negatable": unsatisfiable,
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_schemathesis_finds_nothing(make_app, figures, mode):
    app = make_app(turn_rate_limit="1000000/minute", read_rate_limit="1000000/minute")

    run = fuzz(app, mode)

    figures[f"schemathesis {mode}"] = {k: v for k, v in run.items() if k != "failures"} | {
        "failures": sum(run["failures"].values())
    }
    assert not run["failures"], "\n".join(
        f"{n} × {text}" for text, n in run["failures"].most_common(30)
    )
    assert run["requests"] >= MIN_REQUESTS[mode] * EXAMPLES // 80, run  # the budget was spent
    assert not any(status >= 500 for status in run["statuses"]), run["statuses"]


# -- what the document must say beyond what the schemas derive ------------------------------


def test_decimals_are_documented_as_decimal_strings(client):
    document = client.get("/openapi.json").get_json()

    assert decimals_as_numbers(document) == []


@pytest.mark.parametrize(
    ("path", "operation", "statuses"),
    [
        ("/api/health", {}, set()),
        ("/api/jobs/{job_id}", {"parameters": [{"in": "query", "name": "wait"}]},
         {"401", "404", "422", "429", "503"}),
        ("/api/chat", {"requestBody": {}}, {"400", "401", "413", "422", "429", "503"}),
        ("/api/session/{session_id}", {}, {"401", "404", "429", "503"}),
        ("/metrics", {}, set()),
    ],
)  # fmt: skip
def test_the_error_plugin_documents_the_errors_an_operation_can_give(path, operation, statuses):
    """api/openapi.py adds the errors every operation of a shape gives; what the API really
    answers is checked against the document by the fuzzing above (check_answer)."""
    operations = {"get": {**operation, "responses": {"200": {"description": "ok"}}}}
    ErrorResponses().operation_helper(path=path, operations=operations)
    assert set(operations["get"]["responses"]) - {"200"} == statuses


def test_the_api_key_is_documented(client):
    document = client.get("/openapi.json").get_json()

    schemes = document.get("components", {}).get("securitySchemes", {})
    kinds = {(s.get("type"), s.get("in"), s.get("name"), s.get("scheme")) for s in schemes.values()}
    assert kinds & {("apiKey", "header", "X-API-Key", None), ("http", None, None, "bearer")}


def test_request_limits_are_documented(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]

    message = schemas["TurnRequest"]["properties"]["message"]
    items = schemas["BatchRequest"]["properties"]["items"]
    assert (message.get("minLength"), message.get("maxLength")) == (1, 8000)
    assert (items.get("minItems"), items.get("maxItems")) == (1, 1000)


def test_nullable_nested_bodies_are_documented_strictly(client):
    document = client.get("/openapi.json").get_json()

    assert loose_nullables(document) == []
