"""Schemathesis against the app's own OpenAPI document: every documented operation, with the
bearer token, on the in-memory, SQLite and PostgreSQL backends. No 5xx, and every response's
status, content type and body are the ones the document promises.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from litestar.routes import HTTPRoute
from schemathesis.checks import not_a_server_error
from schemathesis.config import ChecksConfig
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.model import MAX_ID_CHARS
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from tests.conftest import empty_database_url
from tests.support import AUTH, settings_for

DOCUMENT_APP = create_app(build_container(settings_for("memory://")))
"""The document is the same on every backend; the requests go to the `app` fixture's."""
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", DOCUMENT_APP)
# Schemathesis's own list of rejections, with 413: a body over the limit (a string far over its
# maxLength can make one) is rejected, as the document says, before its content is read.
REJECTIONS = [*ChecksConfig().negative_data_rejection.expected_statuses, "413"]
schema.config.checks = ChecksConfig.from_dict(
    {"negative_data_rejection": {"expected-statuses": REJECTIONS}}
)

# Not `positive_data_acceptance`: JSON Schema cannot say all the domain rejects with a 400 (NUL
# characters, lone surrogates, ids '.' and '..'); the document says it in words, and has the 400.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    ignored_auth,
]
MAX_EXAMPLES = 50
POSTGRES_EXAMPLES = 10
"""Fewer on PostgreSQL: each example costs more there, and the document is the same; what it
adds is the database's own limits (its 32-bit INTEGER columns, its text rules)."""
# Hypothesis starts from the simplest strings ("0", "00", "000...") and the coverage phase tries
# the longest: seeded users and a wallet let their requests succeed, so success bodies get checked.
SEEDED_USERS = ["0", "00", "0" * MAX_ID_CHARS]
SEEDED_KEY = "0" * 16


@pytest.fixture(params=["memory", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    """In-memory and SQLite; PostgreSQL when a test asks for it (with fewer examples)."""
    return empty_database_url(request)


@pytest.fixture
def app(container: Container) -> Iterator[Litestar]:
    """One app per operation and backend, kept across that operation's examples, seeded over
    HTTP. Schemathesis serves it from its own event-loop thread; ending its lifespan there closes
    the engine's connections in the loop that opened them.
    """
    app = create_app(container)
    with asgi.get_client(app) as client:  # type: ignore[arg-type]
        for user_id in SEEDED_USERS:
            body = {"email": f"{user_id}@example.com", "id": user_id}
            assert client.post("/users", json=body, headers=AUTH).status_code == 201
        body = {"userId": SEEDED_USERS[0], "encryptionKey": SEEDED_KEY}
        response = client.post("/wallets/create-user-wallet", json=body, headers=AUTH)
        assert response.status_code == 201
    yield app
    asgi.shutdown_lifespans()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_operation_keeps_the_documents_promises(
    case: schemathesis.Case[Any], app: Litestar
) -> None:
    case.call_and_validate(headers=AUTH, app=app, checks=CHECKS)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@schema.parametrize()
@settings(
    max_examples=POSTGRES_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_operation_keeps_the_documents_promises_on_postgres(
    case: schemathesis.Case[Any], app: Litestar
) -> None:
    case.call_and_validate(headers=AUTH, app=app, checks=CHECKS)


def test_the_document_has_every_route() -> None:
    """A route left out of the document would be left out of the fuzzing too."""
    served = {
        (method, route.path_format)
        for route in DOCUMENT_APP.routes
        if isinstance(route, HTTPRoute) and not route.path.startswith("/schema")
        for method in route.methods - {"HEAD", "OPTIONS"}
    }
    paths = DOCUMENT_APP.openapi_schema.to_schema()["paths"]
    assert served == {(method.upper(), path) for path, item in paths.items() for method in item}
