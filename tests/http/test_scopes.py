"""Scoped API tokens: the settings' `token:scopes` entries, and on every protected route (taken
from the OpenAPI document, so that a new route is covered as soon as it exists) a token with the
route's scope gets past the scope check and a token without it gets 403 insufficient-scope.
"""

from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.scopes import ALL_SCOPES, Scope, ScopeError, with_scopes
from entrypoints.settings import Settings, SettingsError
from tests.support import http_client, settings_for

TOKENS = {scope: f"only-{scope}-token-0123456789" for scope in Scope}
SETTINGS = settings_for("memory://", api_tokens=tuple(f"{t}:{s}" for s, t in TOKENS.items()))


def _protected() -> list[tuple[str, str, Scope]]:
    with TestClient(create_app(build_container(SETTINGS))) as client:
        document: dict[str, Any] = client.get("/schema/openapi.json").json()
    routes = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            requirement = operation.get("security")
            if path.startswith("/schema") or requirement == [{}]:
                continue
            ((scopes,),) = (requirement[0].values(),)
            routes.append((method, path.replace("{user_id}", "ada"), Scope(scopes[0])))
    return routes


PROTECTED = _protected()


@pytest.mark.parametrize(
    ("entry", "secret", "scopes"),
    [
        ("token-a", "token-a", ALL_SCOPES),
        ("token-a:read", "token-a", {Scope.READ}),
        ("token-a:read+create+sign", "token-a", {Scope.READ, Scope.CREATE, Scope.SIGN}),
        ("token-a:Manage", "token-a", {Scope.MANAGE}),
        ("to:ken-1:read", "to:ken-1", {Scope.READ}),
        ("token-a:123", "token-a:123", ALL_SCOPES),
        (":read", ":read", ALL_SCOPES),
    ],
)
def test_an_entry_is_a_token_and_its_scopes(entry: str, secret: str, scopes: set[Scope]) -> None:
    assert with_scopes(entry) == (secret, frozenset(scopes))


@pytest.mark.parametrize("entry", ["token-a:reed", "token-a:read+everything", "abc:def"])
def test_an_unknown_scope_is_refused_at_start_without_showing_the_token(entry: str) -> None:
    with pytest.raises(ScopeError):
        with_scopes(entry)
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"WALLET_API_TOKENS": entry})
    assert entry.partition(":")[0] not in str(refused.value)


def test_every_protected_route_is_covered() -> None:
    assert len(PROTECTED) >= 15
    assert {scope for _, _, scope in PROTECTED} == set(Scope)


@pytest.mark.parametrize(("method", "path", "scope"), PROTECTED, ids=str)
async def test_only_a_token_with_the_routes_scope_gets_past_the_check(
    method: str, path: str, scope: Scope
) -> None:
    async with http_client(build_container(SETTINGS)) as client:
        for token_scope, token in TOKENS.items():
            response = await _request(client, method, path, token)
            refused = response.status_code == 403 and response.json()["type"].endswith(
                "/insufficient-scope"
            )
            assert refused == (token_scope != scope), (token_scope, response.text)
            if refused:
                assert f"'{scope}' scope" in response.json()["detail"]


async def _request(client: httpx.AsyncClient, method: str, path: str, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    body: dict[str, str] | None = None if method in {"get", "head"} else {}
    return await client.request(method.upper(), path, json=body, headers=headers)
