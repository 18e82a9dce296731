"""Every row of the HTTP API table, on every backend."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from entrypoints.container import Container, open_container
from tests.support import AUTH, KEY, OTHER_KEY, http_client, settings_for

Client = httpx.AsyncClient
PROBLEM = "application/problem+json"


@pytest.fixture
async def client(container: Container) -> AsyncIterator[Client]:
    async with http_client(container) as test_client:
        yield test_client


async def _user(client: Client, user_id: str = "user-1") -> None:
    response = await client.post(
        "/users", json={"email": f"{user_id}@example.com", "id": user_id}, headers=AUTH
    )
    assert response.status_code == 201


async def _create(client: Client, user_id: str = "user-1", key: str = KEY) -> Any:
    return await client.post(
        "/wallets/create-user-wallet", json={"userId": user_id, "encryptionKey": key}, headers=AUTH
    )


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


async def test_create_wallet_201_then_replay_200_with_the_same_body(client: Client) -> None:
    await _user(client)
    created = await _create(client)
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"walletId", "publicKey", "userId", "createdAt", "status"}
    assert body["userId"] == "user-1"
    assert body["publicKey"].startswith("G")
    assert len(body["publicKey"]) == 56
    replay = await _create(client)
    assert replay.status_code == 200
    assert replay.json() == body


async def test_create_wallet_under_another_key_is_409(client: Client) -> None:
    await _user(client)
    assert (await _create(client)).status_code == 201
    body = _assert_problem(await _create(client, key=OTHER_KEY), 409)
    assert OTHER_KEY not in str(body)
    assert KEY not in str(body)


async def test_create_wallet_for_unknown_user_is_404(client: Client) -> None:
    _assert_problem(await _create(client, "nobody"), 404)


@pytest.mark.parametrize(
    "payload",
    [
        {"userId": "user-1"},
        {"encryptionKey": KEY},
        {"userId": "", "encryptionKey": KEY},
        {"userId": "user-1", "encryptionKey": ""},
        {"userId": 42, "encryptionKey": KEY},
        {"userId": "user-1", "encryptionKey": ["not", "text"]},
        {"userId": "x" * 129, "encryptionKey": KEY},
        {"userId": "user-1", "encryptionKey": "fifteen chars!!"},
        {"userId": "user-1", "encryptionKey": "k" * 1025},
        {"userId": "nul\u0000", "encryptionKey": KEY},
        [],
        "just a string",
        None,
    ],
)
async def test_create_wallet_bad_input_is_400(client: Client, payload: Any) -> None:
    await _user(client)
    response = await client.post("/wallets/create-user-wallet", json=payload, headers=AUTH)
    body = _assert_problem(response, 400)
    assert "fifteen chars!!" not in str(body)
    assert "k" * 1025 not in str(body)


@pytest.mark.parametrize("content", [b"not json", b"{", b"", b"\xff\xfe"])
async def test_non_json_body_is_400(client: Client, content: bytes) -> None:
    response = await client.post(
        "/wallets/create-user-wallet",
        content=content,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    _assert_problem(response, 400)


async def test_missing_body_is_400_that_says_so(client: Client) -> None:
    response = await client.post("/users", headers=AUTH)
    assert _assert_problem(response, 400)["detail"] == "a JSON object body is required"


async def test_unknown_fields_are_ignored_and_limits_are_inclusive(client: Client) -> None:
    await _user(client, "u" * 128)
    payload = {"userId": "u" * 128, "encryptionKey": "k" * 1024, "extra": {"nested": True}}
    response = await client.post("/wallets/create-user-wallet", json=payload, headers=AUTH)
    assert response.status_code == 201
    short_key = {"userId": "u" * 128, "encryptionKey": "k" * 16}
    assert (
        await client.post("/wallets/create-user-wallet", json=short_key, headers=AUTH)
    ).status_code == 409


async def test_get_wallet_200_and_404(client: Client) -> None:
    await _user(client)
    created = (await _create(client)).json()
    response = await client.get("/wallets/user/user-1", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == created
    _assert_problem(await client.get("/wallets/user/nobody", headers=AUTH), 404)
    await _user(client, "walletless")
    _assert_problem(await client.get("/wallets/user/walletless", headers=AUTH), 404)


async def test_register_user_201_200_409(client: Client) -> None:
    created = await client.post(
        "/users", json={"email": "ada@example.com", "id": "ada"}, headers=AUTH
    )
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "email", "createdAt"}
    again = await client.post(
        "/users", json={"email": "ada@example.com", "id": "ada"}, headers=AUTH
    )
    assert (again.status_code, again.json()) == (200, body)
    without_id = await client.post("/users", json={"email": "ada@example.com"}, headers=AUTH)
    assert (without_id.status_code, without_id.json()) == (200, body)
    _assert_problem(
        await client.post("/users", json={"email": "ada@example.com", "id": "bob"}, headers=AUTH),
        409,
    )
    _assert_problem(
        await client.post("/users", json={"email": "bob@example.com", "id": "ada"}, headers=AUTH),
        409,
    )


async def test_register_user_generates_an_id(client: Client) -> None:
    response = await client.post("/users", json={"email": "gen@example.com"}, headers=AUTH)
    assert response.status_code == 201
    user_id = response.json()["id"]
    fetched = await client.get(f"/users/{user_id}", headers=AUTH)
    assert fetched.json() == response.json()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"email": ""},
        {"email": "no-at-sign"},
        {"email": "@example.com"},
        {"email": "ada@"},
        {"email": "a" * 250 + "@b.cd"},
        {"email": 7},
        {"email": "ada@example.com", "id": ""},
        {"email": "ada@example.com", "id": "x" * 129},
        {"email": "ada@example.com", "id": 5},
    ],
)
async def test_register_user_bad_input_is_400(client: Client, payload: Any) -> None:
    _assert_problem(await client.post("/users", json=payload, headers=AUTH), 400)


async def test_get_user_200_and_404(client: Client) -> None:
    await _user(client, "ada")
    response = await client.get("/users/ada", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"
    _assert_problem(await client.get("/users/nobody", headers=AUTH), 404)
    _assert_problem(await client.get("/users/" + "x" * 129, headers=AUTH), 400)


async def test_health_and_ready_need_no_token(client: Client) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/wallets/create-user-wallet"),
        ("GET", "/wallets/user/user-1"),
        ("POST", "/users"),
        ("GET", "/users/user-1"),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "test-token-0123456789"},
        {"Authorization": "Basic dGVzdA=="},
        {"Authorization": "Bearer "},
    ],
)
async def test_every_api_route_needs_a_valid_token(
    client: Client, method: str, path: str, headers: dict[str, str]
) -> None:
    response = await client.request(method, path, json={}, headers=headers)
    _assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_openapi_document_is_public_and_declares_bearer_auth(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert "/wallets/create-user-wallet" in document["paths"]
    assert (await client.get("/schema")).status_code == 200


async def test_body_over_64_kib_is_413(client: Client) -> None:
    response = await client.post(
        "/users",
        content=b"{" + b" " * (64 * 1024) + b"}",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    _assert_problem(response, 413)


async def test_ready_is_503_when_the_database_is_unreachable() -> None:
    unreachable = settings_for("postgresql://postgres@127.0.0.1:9/none", ready_timeout=2.0)
    async with (
        open_container(unreachable, apply_migrations=False) as container,
        http_client(container) as client,
    ):
        _assert_problem(await client.get("/ready"), 503)
        response = await client.get("/users/ada", headers=AUTH)
        _assert_problem(response, 503)
        assert response.headers["retry-after"]
