"""Schemathesis hooks for the API fuzz test (test/integration/fuzz.test.ts), loaded with SCHEMATHESIS_HOOKS.

- `problem_details`: a check that every error answer is RFC 9457 application/problem+json with
  {type, title, status, detail, code} and `status` equal to the HTTP status.
- `after_call`/`after_network_error`: one JSON line per request sent (FUZZ_TALLY names the file), so the
  test counts what was really sent and answered, independently of schemathesis's own verdicts.
"""

from __future__ import annotations

import json
import os
import re
import threading

import schemathesis

PROBLEM_FIELDS = {"type": str, "title": str, "status": int, "detail": str, "code": str}
# /healthz answers its JSON report with 503 when a dependency is down (the documented exception).
NOT_PROBLEMS = {"GET /healthz"}
_lock = threading.Lock()

# WHIP offers are SDP text: sent as generated, like text/plain.
schemathesis.serializer.alias("application/sdp", "text/plain")


def problem_violation(sent: str, status: int, content_type: str, body: bytes) -> str | None:
    """Why an error answer to `sent` ("METHOD /path/{template}") is not a problem document, or None when it is one (or is no error)."""
    if status < 400 or sent in NOT_PROBLEMS:
        return None
    if content_type.split(";")[0].strip().lower() != "application/problem+json":
        return f"content-type {content_type or '(none)'}"
    try:
        doc = json.loads(body)
    except ValueError:
        return "body is not JSON"
    if not isinstance(doc, dict):
        return "body is not a JSON object"
    for name, kind in PROBLEM_FIELDS.items():
        # bool is an int in Python; a problem's status never is one
        if not isinstance(doc.get(name), kind) or isinstance(doc.get(name), bool):
            return f"field {name!r} missing or not a {kind.__name__}"
    if doc["status"] != status:
        return f"status field {doc['status']} differs from the HTTP status {status}"
    return None


def _operation(case) -> str:
    """The documented operation (a probe with an undocumented method still belongs to it)."""
    return case.operation.label


def _sent(case) -> str:
    """The method really sent, on the documented path."""
    return f"{case.method.upper()} {case.operation.path}"


def _credentials(prepared) -> dict:
    """The credential headers sent, to replay a failure: generated ones whole, an API key only by its public id."""
    out = {}
    for name in ("authorization", "x-api-key", "cookie"):
        value = prepared.headers.get(name) if prepared is not None else None
        if value is not None:
            out[name] = re.sub(r"(glk_[A-Za-z0-9]{16}_)\S+", r"\1…", value)[:300]
    return out


def _content_type(response) -> str:
    values = response.headers.get("content-type") or [""]
    return values[0]


@schemathesis.check
def problem_details(ctx, response, case):
    """Every 4xx/5xx answer is application/problem+json with type, title, status, detail and code."""
    why = problem_violation(_sent(case), response.status_code, _content_type(response), response.content or b"")
    if why:
        raise AssertionError(f"error answer {response.status_code} is not a problem document: {why}")
    return True


def _record(entry: dict) -> None:
    path = os.environ.get("FUZZ_TALLY")
    if not path:
        return
    with _lock, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def _request(case, prepared) -> dict:
    body = prepared.body if prepared is not None else None
    if isinstance(body, bytes):
        body = body[:300].decode("utf-8", "backslashreplace")
    elif body is not None:
        body = str(body)[:300]
    return {
        "operation": _operation(case),
        "method": prepared.method if prepared is not None else case.method.upper(),
        "url": prepared.url if prepared is not None else case.formatted_path,
        "body": body,
        "headers": _credentials(prepared),
    }


@schemathesis.hook
def after_call(context, case, response):
    status = response.status_code
    why = problem_violation(_sent(case), status, _content_type(response), response.content or b"")
    entry = {**_request(case, response.request), "status": status}
    if why:
        entry["problem"] = why
        entry["answer"] = (response.content or b"")[:300].decode("utf-8", "backslashreplace")
    _record(entry)


@schemathesis.hook
def after_network_error(context, case, request):
    _record({**_request(case, request), "status": 0, "problem": "no answer (network error or timeout)"})
