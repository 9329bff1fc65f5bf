"""Validate a simulator's response body against a vendor spec's response schema.

Swagger 2.0 (Amazon) and OpenAPI 3.0 (Etsy) both become JSON Schema Draft 4 with the
spec's own definitions in scope; OpenAPI's `nullable` is rewritten to a null alternative.
"""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator


@lru_cache(maxsize=8)
def load_spec(path: Path) -> dict[str, Any]:
    return _nullable(json.loads(path.read_text()))


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def assert_matches_spec(spec_path: Path, path: str, method: str, status: int, body: Any) -> None:
    spec = load_spec(spec_path)
    responses = spec["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not declare {status}"
    declared = responses[str(status)]
    schema = declared.get("schema") or declared.get("content", {}).get("application/json", {}).get(
        "schema"
    )
    if schema is None:
        assert not body, f"{status} declares no body but got {body!r}"
        return
    document = {
        **schema,
        "definitions": spec.get("definitions", {}),
        "components": spec.get("components", {}),
    }
    errors = sorted(Draft4Validator(document).iter_errors(body), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def request_schema(spec_path: Path, path: str, method: str) -> dict[str, Any]:
    """The JSON body schema an operation accepts (OpenAPI 3 requestBody or a Swagger 2.0
    `in: body` parameter), with the spec's definitions in scope."""
    spec = load_spec(spec_path)
    operation = spec["paths"][path][method]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = body.get("schema") or next(
        p["schema"] for p in operation.get("parameters", []) if p.get("in") == "body"
    )
    return {
        **schema,
        "definitions": spec.get("definitions", {}),
        "components": spec.get("components", {}),
    }


def assert_request_matches_spec(spec_path: Path, path: str, method: str, body: Any) -> None:
    validator = Draft4Validator(request_schema(spec_path, path, method))
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def sandbox_example(spec_path: Path, path: str, method: str, status: int, index: int) -> Any:
    """One of the spec's `x-amzn-api-sandbox` static responses (Amazon's own test data)."""
    response = load_spec(spec_path)["paths"][path][method]["responses"][str(status)]
    return response["x-amzn-api-sandbox"]["static"][index]["response"]
