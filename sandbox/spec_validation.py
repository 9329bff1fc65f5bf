"""Requests to the marketplace simulators checked against the vendors' own API files.

The simulators share our reading of each API, so they cannot catch what we misread. This layer
does not read the API at all: it hands each request to a maintained validator loaded with the
vendor's published file (sandbox/specs) — openapi-core for Etsy's OpenAPI 3.0, bravado-core for
Amazon's Swagger 2.0, which openapi-core does not read — and the simulator answers 400 with the
validator's message, as the vendor refuses a malformed call. Paths the file does not describe
(the OAuth endpoints, the sandbox's controls) are not checked here.
"""

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from bravado_core.exception import SwaggerMappingError
from bravado_core.operation import Operation
from bravado_core.request import IncomingRequest, unmarshal_request
from bravado_core.spec import Spec
from jsonschema.exceptions import ValidationError
from jsonschema_specifications import REGISTRY as JSONSCHEMA_SPECIFICATIONS
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
from openapi_core.templating.paths.exceptions import PathNotFound
from openapi_core.validation.request.validators import (
    V30RequestBodyValidator,
    V30RequestParametersValidator,
)
from werkzeug.wrappers import Request

BRAVADO_CONFIG = {
    "validate_requests": True,
    "validate_responses": False,
    "use_models": False,
    "validate_swagger_spec": True,
}


# --- OpenAPI 3 (Etsy) with openapi-core ---------------------------------------------------------


class _AsServed(WerkzeugOpenAPIRequest):
    """The request as the vendor's server sees it: its host, the path below our prefix."""

    def __init__(self, request: Request, server: str):
        super().__init__(request)
        self.server = server

    @property
    def host_url(self) -> str:
        return self.server

    def get_path(self, path: str) -> str:
        return path


@cache
def _openapi(spec_path: Path) -> OpenAPI:
    # Etsy's generated file writes `default: null` for optional parameters without a default
    # (min_created, max_last_modified, …), which neither the spec validator nor a request
    # without them would pass; those nulls are dropped, every other schema is taken as it is.
    spec = _without_null_defaults(json.loads(spec_path.read_text()))
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


@cache
def _openapi_validators(spec_path: Path) -> tuple[Any, ...]:
    """Parameters and body only: the simulators answer authentication themselves, with the
    vendor's 401/403, before they validate."""
    spec = _openapi(spec_path).spec
    return tuple(
        cls(spec, spec_validator_cls=None)
        for cls in (V30RequestParametersValidator, V30RequestBodyValidator)
    )


def _without_null_defaults(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_null_defaults(item) for item in node]
    if not isinstance(node, dict):
        return node
    nullable = node.get("nullable") is True
    return {
        key: _without_null_defaults(value)
        for key, value in node.items()
        if not (key == "default" and value is None and not nullable)
    }


def openapi_violation(spec_path: Path, request: Request) -> str | None:
    """What the OpenAPI 3 file refuses in the request's parameters and body, or None."""
    openapi = _openapi(spec_path)
    served = _AsServed(request, str(openapi.spec["servers"][0]["url"]))
    errors: list[str] = []
    for validator in _openapi_validators(spec_path):
        for error in validator.iter_errors(served):
            if isinstance(error, PathNotFound):
                return None
            errors.append(_describe(error))
    return "; ".join(errors) or None


def _describe(error: BaseException) -> str:
    """The validator's own message, with the schema errors that caused it."""
    causes: Iterator[BaseException] = iter(getattr(error.__cause__, "schema_errors", ()) or ())
    details = [_schema_error(cause) for cause in causes]
    if error.__cause__ is not None and not details:
        details = [str(error.__cause__)]
    return f"{error}: {', '.join(details)}" if details else str(error)


def _schema_error(error: BaseException) -> str:
    if isinstance(error, ValidationError) and error.absolute_path:
        return f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
    return getattr(error, "message", str(error))


# --- Swagger 2.0 (Amazon) with bravado-core -----------------------------------------------------


class _Incoming(IncomingRequest):  # type: ignore[misc]  # bravado-core ships no type hints
    def __init__(self, request: Request, path_params: dict[str, str]):
        self.request = request
        self.path = path_params
        self.query = request.args
        self.form = request.form
        self.headers = request.headers
        self.files = request.files

    def json(self, **kwargs: Any) -> Any:
        return json.loads(self.request.get_data(as_text=True) or "null")


class _OfflineSpec(Spec):  # type: ignore[misc]
    """bravado-core walks every document its resolver holds, and jsonschema's resolver holds
    every registered meta-schema, including the OpenAPI 3.1 dialect that openapi-schema-validator
    registers; its $refs are answered from the schemas installed with that package instead of
    being downloaded (the sandbox never goes online)."""

    def get_ref_handlers(self) -> dict[str, Any]:
        return {"http": _installed_schema, "https": _installed_schema}


@cache
def _installed_schemas() -> dict[str, Any]:
    found: dict[str, Any] = {}
    folders = [files("openapi_schema_validator").joinpath("schemas")]
    while folders:
        for child in folders.pop().iterdir():
            if child.is_dir():
                folders.append(child)
            else:  # some carry no .json suffix (oas3.1/vocabularies/base)
                schema = json.loads(child.read_text(encoding="utf-8"))
                found[str(schema.get("$id", "")).rstrip("#")] = schema
    return found


def _installed_schema(uri: str) -> Any:
    key = uri.split("#")[0]
    schemas = _installed_schemas()
    if key in schemas:
        return schemas[key]
    return JSONSCHEMA_SPECIFICATIONS.contents(key)


@cache
def _swagger_operations(spec_path: Path) -> list[tuple[re.Pattern[str], Operation]]:
    spec = _OfflineSpec.from_dict(json.loads(spec_path.read_text()), config=BRAVADO_CONFIG)
    return [
        (_template_pattern(op.path_name), op)
        for resource in spec.resources.values()
        for op in resource.operations.values()
    ]


def _template_pattern(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


def swagger_violation(spec_paths: tuple[Path, ...], request: Request) -> str | None:
    """What the Swagger 2.0 files refuse in the request's parameters and body, or None."""
    for spec_path in spec_paths:
        for pattern, operation in _swagger_operations(spec_path):
            match = pattern.match(request.path)
            if match and operation.http_method == request.method.lower():
                return _swagger_errors(operation, _Incoming(request, match.groupdict()))
    return None


def _swagger_errors(operation: Operation, incoming: _Incoming) -> str | None:
    try:
        unmarshal_request(incoming, operation)
    except (ValidationError, SwaggerMappingError, ValueError) as exc:
        message = getattr(exc, "message", str(exc))
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", ()))
        return f"{where}: {message}" if where else message
    return None
