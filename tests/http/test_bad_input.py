"""Hostile and odd text in ids and emails, over HTTP on every backend: stored and returned
exactly, or rejected with 400; never a 5xx."""

from collections.abc import AsyncIterator
from http import HTTPStatus
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.exceptions import HTTPException

from entrypoints.container import Container
from entrypoints.http import problems
from tests.support import AUTH, KEY, http_client

PROBLEM = "application/problem+json"

ODD_TEXT = [
    "ünïcödé-Ωmega-雪-🦀",
    "\u202eright-to-left",
    "e\u0301\u0301combining",
    "zero\u200bwidth\ufeff",
    "tab\there",
    "new\nline\r\n",
    "\x1b[31mescape\x7f",
    "nul\x00inside",
    "'; DROP TABLE users; --",
    '" OR "1"="1',
    "%_\\$1:name?#&=+",
    " leading and trailing ",
    "a/b",
    ".",
    "..",
    "x" * 128,
    "x" * 129,
    "y" * 10_000,
]

ENCODED_BAD_BODIES = [
    b'{"email": "lone\\ud800surrogate@example.com"}',
    b'{"email": "ok@example.com", "id": "lone\\udfffsurrogate"}',
    b'{"email": "a@b", "id": 12}',
    b'{"email": ["a@b"]}',
    b"\xff\xfe not utf-8",
    b"[]",
    b"null",
    b'{"email": "' + b"z" * 70_000 + b'@example.com"}',
]


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        yield test_client


def _assert_400(response: httpx.Response) -> None:
    assert response.status_code in {400, 413}, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == PROBLEM


async def _round_trip(client: httpx.AsyncClient, user_id: str, email: str) -> bool:
    """Register, read back, create the wallet and read it back, each exactly; or a 400 at the
    first step. Returns whether the text was accepted."""
    registered = await client.post("/users", json={"email": email, "id": user_id}, headers=AUTH)
    if registered.status_code == 400:
        _assert_400(registered)
        return False
    assert registered.status_code in {200, 201}, (registered.status_code, registered.text[:300])
    assert (registered.json()["id"], registered.json()["email"]) == (user_id, email)
    path_id = quote(user_id, safe="")
    read = await client.get(f"/users/{path_id}", headers=AUTH)
    assert read.status_code == 200, (read.status_code, read.text[:300])
    assert (read.json()["id"], read.json()["email"]) == (user_id, email)
    body = {"userId": user_id, "encryptionKey": KEY}
    created = await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)
    assert created.status_code in {200, 201}, (created.status_code, created.text[:300])
    wallet = await client.get(f"/wallets/user/{path_id}", headers=AUTH)
    assert wallet.status_code == 200
    assert wallet.json()["userId"] == user_id
    assert wallet.json() == created.json()
    return True


async def test_odd_ids_and_emails_are_kept_exactly_or_refused(client: httpx.AsyncClient) -> None:
    refused_ids, refused_emails = set(), set()
    for number, text in enumerate(ODD_TEXT):
        if not await _round_trip(client, text, f"user{number}@example.com"):
            refused_ids.add(text)
        if not await _round_trip(client, f"email-{number}", f"{text}@example.com"):
            refused_emails.add(text)
    assert refused_ids == {"nul\x00inside", "a/b", ".", "..", "x" * 129, "y" * 10_000}
    assert refused_emails == {"nul\x00inside", "y" * 10_000}


async def test_malformed_bodies_are_400_or_413(client: httpx.AsyncClient) -> None:
    for content in ENCODED_BAD_BODIES:
        headers = {**AUTH, "Content-Type": "application/json"}
        for path in ("/users", "/wallets/create-user-wallet"):
            _assert_400(await client.post(path, content=content, headers=headers))


async def test_odd_path_ids_of_nobody_are_4xx_problems(client: httpx.AsyncClient) -> None:
    """404 (nobody), 400 (not an id), or for '.' and '..', which the client normalises away,
    whatever the shortened path is: never a 5xx."""
    for text in ODD_TEXT:
        for path in ("/users/", "/wallets/user/"):
            response = await client.get(path + quote(text, safe=""), headers=AUTH)
            assert 400 <= response.status_code < 500, (text[:40], response.status_code)
            assert response.headers["content-type"] == PROBLEM


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(user_id=st.text(min_size=1, max_size=140), local=st.text(min_size=1, max_size=60))
async def test_any_text_is_kept_exactly_or_refused(
    client: httpx.AsyncClient, user_id: str, local: str
) -> None:
    """Each example registers its own id; an email or id taken by an earlier example is a 409."""
    email = f"{local}@{len(user_id)}.example"
    registered = await client.post("/users", json={"email": email, "id": user_id}, headers=AUTH)
    assert registered.status_code < 500, (registered.status_code, registered.text[:300])
    if registered.status_code == 409:
        return
    await _round_trip(client, user_id, email)


@pytest.mark.parametrize(
    ("route", "body", "detail"),
    [
        ("/wallets/create-user-wallet", {"userId": "ada"}, "encryptionKey: a value is required"),
        ("/wallets/create-user-wallet", {"encryptionKey": KEY}, "userId: a value is required"),
        ("/users", {"id": "ada"}, "email: a value is required"),
        ("/users", [], "a JSON object body is required"),
    ],
)
async def test_a_missing_field_is_named(
    client: httpx.AsyncClient, route: str, body: object, detail: str
) -> None:
    response = await client.post(route, json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["detail"] == detail


def test_problem_types_do_not_follow_the_runtimes_status_phrases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Python 3.13 renames 413 to "Content Too Large"; the documented type must not move with it.
    renamed = property(lambda self: "Content Too Large" if self == 413 else self.name.title())
    monkeypatch.setattr(HTTPStatus, "phrase", renamed, raising=False)
    response = problems.http_error(None, HTTPException(status_code=413))  # type: ignore[arg-type]
    assert response.content.type.endswith("/request-entity-too-large")
    assert response.content.title == "Request Entity Too Large"
