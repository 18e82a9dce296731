"""Closed by default: every route outside the public allowlist needs a valid bearer token."""

import hashlib
import re
from dataclasses import replace

import httpx
import pytest
from litestar.routes import HTTPRoute

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings, SettingsError
from tests.support import AUTH, TOKEN, settings_for

PUBLIC = {"/health", "/ready"}
PUBLIC_PREFIX = "/schema"


def _protected_routes() -> list[tuple[str, str]]:
    app = create_app(build_container(settings_for("memory://")))
    found: list[tuple[str, str]] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{[^}]+\}", "some-id", route.path)
        if path in PUBLIC or path.startswith(PUBLIC_PREFIX):
            continue
        found += [(method, path) for method in route.methods if method not in {"OPTIONS", "HEAD"}]
    return found


ROUTES = _protected_routes()


def test_the_walk_finds_the_api() -> None:
    assert ("POST", "/wallets/create-user-wallet") in ROUTES
    assert ("GET", "/users/some-id") in ROUTES
    assert len(ROUTES) >= 4


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Token {TOKEN}", f"Bearer {TOKEN}x"]
)
async def test_every_protected_route_rejects_missing_and_wrong_tokens(
    method: str, path: str, authorization: str | None
) -> None:
    app = create_app(build_container(settings_for("memory://")))
    headers = {} if authorization is None else {"Authorization": authorization}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://wallets.test",
    ) as client:
        response = await client.request(method, path, json={}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_tokens_may_be_configured_as_sha256_hashes() -> None:
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    settings = replace(settings_for("memory://"), api_tokens=(), api_token_hashes=(digest,))
    app = create_app(build_container(settings))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://wallets.test",
    ) as client:
        assert (await client.get("/users/ada", headers=AUTH)).status_code == 404
        wrong = {"Authorization": f"Bearer {digest}"}
        assert (await client.get("/users/ada", headers=wrong)).status_code == 401


def test_token_hash_configuration_is_validated() -> None:
    with pytest.raises(SettingsError, match="WALLET_API_TOKEN_HASHES"):
        Settings.from_env({"WALLET_API_TOKEN_HASHES": "not-a-digest"})
    digest = "A" * 64
    assert Settings.from_env({"WALLET_API_TOKEN_HASHES": digest}).api_token_hashes == ("a" * 64,)


def test_the_app_refuses_to_start_without_any_token() -> None:
    with pytest.raises(SettingsError):
        create_app(build_container(replace(settings_for("memory://"), api_tokens=())))


async def test_rate_limit_per_token_answers_429_with_retry_after() -> None:
    settings = replace(
        settings_for("memory://"),
        api_tokens=(TOKEN, "second-token-0123456789"),
        rate_limit=(3, "minute"),
    )
    app = create_app(build_container(settings))
    other = {"Authorization": "Bearer second-token-0123456789"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://wallets.test",
    ) as client:
        statuses = [(await client.get("/users/ada", headers=AUTH)).status_code for _ in range(4)]
        limited = await client.get("/users/ada", headers=AUTH)
        assert (await client.get("/users/ada", headers=other)).status_code == 404
        assert (await client.get("/health")).status_code == 200
    assert statuses == [404, 404, 404, 429]
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert int(limited.headers["retry-after"]) >= 1


def test_rate_limit_is_off_by_default_and_validated() -> None:
    assert Settings.from_env({}).rate_limit is None
    assert Settings.from_env({"WALLET_RATE_LIMIT": "100/second"}).rate_limit == (100, "second")
    with pytest.raises(SettingsError, match="WALLET_RATE_LIMIT"):
        Settings.from_env({"WALLET_RATE_LIMIT": "fast"})
