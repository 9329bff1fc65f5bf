"""Every GraphQL document the app sends is valid against Shopify's published Admin schema
(sandbox/specs/shopify/admin_schema_2025-01.json.gz, see sandbox/specs/README.md), and none is sent
without being declared through salestio.graphql_documents.gql."""

import ast
import gzip
import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import graphql
import pytest
from django.apps import apps
from django.conf import settings

from salestio.graphql_documents import DOCUMENTS

ROOT = Path(settings.BASE_DIR)
NOT_APP_CODE = {"tests", "sandbox", ".venv", "node_modules", "staticfiles"}
OPERATION_START = re.compile(r"\s*(query|mutation)\s+[_A-Za-z]\w*\s*[({]")


def _is_ours(path: Path) -> bool:
    if not path.is_relative_to(ROOT):
        return False
    parts = path.relative_to(ROOT).parts
    return not NOT_APP_CODE.intersection(parts) and not any(p.startswith(".") for p in parts)


def _import_app_modules() -> None:
    """gql() registers a document when its module is imported: import all of ours."""
    for config in apps.get_app_configs():
        if not _is_ours(Path(config.path)):
            continue
        package = importlib.import_module(config.name)
        for module in pkgutil.walk_packages(package.__path__, f"{config.name}."):
            importlib.import_module(module.name)


_import_app_modules()


def _operation_name(document: str) -> str:
    operation = graphql.get_operation_ast(graphql.parse(document))
    return operation.name.value if operation and operation.name else "<anonymous>"


@lru_cache(maxsize=1)
def _load_schema(path: Path) -> graphql.GraphQLSchema:
    with gzip.open(path) as fh:
        introspection = json.load(fh)["data"]
    # The published schema trips graphql-core's schema self-check (implementations deprecate
    # fields their interfaces keep), which says nothing about the documents validated here.
    return graphql.build_client_schema(introspection, assume_valid=True)


@pytest.fixture
def admin_schema(specs_dir: Path) -> graphql.GraphQLSchema:
    return _load_schema(specs_dir / "shopify" / "admin_schema_2025-01.json.gz")


@pytest.mark.parametrize("document", DOCUMENTS, ids=_operation_name)
def test_the_document_is_valid_against_the_admin_schema(
    admin_schema: graphql.GraphQLSchema, document: str
) -> None:
    errors = graphql.validate(admin_schema, graphql.parse(document))
    assert errors == [], [e.message for e in errors]


def test_every_document_has_its_own_operation_name() -> None:
    names = [_operation_name(document) for document in DOCUMENTS]
    assert "<anonymous>" not in names
    assert len(names) == len(set(names))


def test_an_invalid_document_is_refused_by_the_validation(
    admin_schema: graphql.GraphQLSchema,
) -> None:
    errors = graphql.validate(admin_schema, graphql.parse("query Bad { shop { nope } }"))
    assert len(errors) == 1
    assert errors[0].message.startswith("Cannot query field 'nope' on type 'Shop'.")


def graphql_literals(source: str) -> Iterator[str]:
    """String literals in Python source that parse as a named GraphQL operation."""
    for node in ast.walk(ast.parse(source)):
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and OPERATION_START.match(text) and _parses(text):
            yield text


def _parses(text: str) -> bool:
    try:
        graphql.parse(text)
    except graphql.GraphQLError:
        return False
    return True


def _project_sources() -> Iterator[Path]:
    return (path for path in ROOT.rglob("*.py") if _is_ours(path))


def test_no_operation_is_sent_without_gql() -> None:
    unregistered = [
        f"{path.relative_to(ROOT)}: {_operation_name(literal)}"
        for path in _project_sources()
        for literal in graphql_literals(path.read_text())
        if literal not in DOCUMENTS
    ]
    assert unregistered == []


def test_the_scan_finds_an_operation_outside_gql() -> None:
    source = 'PAID = """\nmutation MarkPaid($id: ID!) { orderMarkAsPaid(id: $id) { x } }"""'
    assert [_operation_name(doc) for doc in graphql_literals(source)] == ["MarkPaid"]
    assert list(graphql_literals('HELP = "query the shop (see docs)"')) == []
