"""HEAD answers every GET route like GET, without a body (the token still needed where GET needs
it); OPTIONS needs no token on the public routes; neither adds an operation to the document.
"""

import re
from collections.abc import Iterator

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.support import AUTH, settings_for

PUBLIC = {"/health", "/ready"}
# The metrics count requests: the next answer is longer than the last.
CHANGES_BETWEEN_REQUESTS = {"/metrics"}


def _app() -> Litestar:
    return create_app(build_container(settings_for("memory://")))


def _get_paths() -> list[str]:
    """Every GET route of the API, its path parameters filled in."""
    return sorted(
        re.sub(r"\{[^}]+\}", "ada", route.path)
        for route in _app().routes
        if isinstance(route, HTTPRoute)
        and "GET" in route.methods
        and not route.path.startswith("/schema")
    )


GET_PATHS = _get_paths()


@pytest.fixture
def client() -> Iterator[TestClient[Litestar]]:
    with TestClient(_app()) as client:
        yield client


def test_the_walk_finds_every_get_route() -> None:
    assert {"/health", "/ready", "/metrics", "/users/ada", "/wallets/user/ada"} <= set(GET_PATHS)


@pytest.mark.parametrize("path", GET_PATHS)
def test_head_answers_like_get_without_a_body(path: str, client: TestClient[Litestar]) -> None:
    headers = {} if path in PUBLIC else AUTH
    got = client.get(path, headers=headers)
    head = client.head(path, headers=headers)
    assert head.status_code == got.status_code
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if path not in CHANGES_BETWEEN_REQUESTS:
        assert int(head.headers["content-length"]) == len(got.content)


@pytest.mark.parametrize("path", [path for path in GET_PATHS if path not in PUBLIC])
def test_head_on_a_protected_route_needs_the_token(path: str, client: TestClient[Litestar]) -> None:
    response = client.head(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.content == b""


def test_head_on_ready_is_503_when_the_database_is_not(client: TestClient[Litestar]) -> None:
    container = build_container(settings_for("memory://"))

    async def not_ready() -> bool:
        return False

    container.readiness_check.override(providers.Object(not_ready))
    with TestClient(create_app(container)) as unready:
        response = unready.head("/ready")
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) >= 1
    assert response.content == b""


def test_head_refuses_a_bad_parameter_as_get_does(client: TestClient[Litestar]) -> None:
    response = client.head("/wallets/user/ada/events?limit=0", headers=AUTH)
    assert response.status_code == 400
    assert response.content == b""


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_options_on_a_public_route_needs_no_token(path: str, client: TestClient[Litestar]) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path", ["/schema", "/schema/openapi.json"])
def test_options_on_the_docs_needs_no_token(path: str, client: TestClient[Litestar]) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert "GET" in response.headers["allow"].split(", ")


def test_options_on_a_protected_route_still_needs_the_token(client: TestClient[Litestar]) -> None:
    """Closed by default: no CORS here, and the methods of a protected route are its business."""
    assert client.options("/users/ada").status_code == 401
    assert client.options("/users/ada", headers=AUTH).status_code == 204


def test_the_document_shows_no_head_operation(client: TestClient[Litestar]) -> None:
    document = client.get("/schema/openapi.json").json()
    methods = {method for item in document["paths"].values() for method in item}
    assert "head" not in methods
    assert "options" not in methods
    # Each GET keeps the id it had when it answered GET alone.
    assert document["paths"]["/health"]["get"]["operationId"] == "HealthHealth"
    assert document["paths"]["/users/{user_id}"]["get"]["operationId"] == "UsersUserIdReadUser"
