"""Random bodies for every POST route, on every backend: random bytes, random JSON, and valid
bodies with random bytes spliced in. Never a 5xx, and every 4xx a problem+json of its status.
"""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.routes import HTTPRoute

from entrypoints.container import Container, build_container
from entrypoints.http import examples
from entrypoints.http.app import create_app
from tests.support import AUTH, http_client, settings_for

PROBLEM = "application/problem+json"
USER = examples.EXAMPLE_USER_ID
POSTS = sorted(
    route.path_format.replace("{user_id}", USER)
    for route in create_app(build_container(settings_for("memory://"))).routes
    if isinstance(route, HTTPRoute) and "POST" in route.methods
)
"""Every POST route of the app, on the user the `client` fixture gives a wallet."""
VALID = [
    json.dumps(msgspec.to_builtins(body)).encode()
    for body in (
        examples.REGISTER_USER_EXAMPLE,
        examples.CREATE_WALLET_EXAMPLE,
        examples.CREATE_WALLETS_EXAMPLE,
        examples.SIGN_EXAMPLE,
        examples.ROTATE_KEY_EXAMPLE,
        examples.EXPORT_EXAMPLE,
        examples.ACTIVATION_EXAMPLE,
        examples.SIGNERS_EXAMPLE,
    )
]
FIELDS = sorted({key for body in VALID for key in json.loads(body)})

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _spliced(draw: st.DrawFn) -> bytes:
    """A valid body with a few random bytes put in somewhere (or some taken out)."""
    body = draw(st.sampled_from(VALID))
    start = draw(st.integers(0, len(body)))
    end = draw(st.integers(start, min(len(body), start + 4)))
    return body[:start] + draw(st.binary(max_size=6)) + body[end:]


BODIES = st.one_of(
    st.binary(max_size=200),
    _json.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(FIELDS), _json, max_size=4).map(
        lambda value: json.dumps(value).encode()
    ),
    _spliced(),
)


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(container) as test_client:
        for path, body in (
            ("/users", examples.REGISTER_USER_EXAMPLE),
            ("/wallets/create-user-wallet", examples.CREATE_WALLET_EXAMPLE),
        ):
            response = await test_client.post(path, json=msgspec.to_builtins(body), headers=AUTH)
            assert response.status_code == 201, response.text
        yield test_client


def test_every_post_route_is_fuzzed() -> None:
    assert "/users" in POSTS
    assert "/wallets/create-user-wallet" in POSTS
    assert "/wallets/batch" in POSTS
    assert len(POSTS) == 11


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(
    path=st.sampled_from(POSTS),
    body=BODIES,
    content_type=st.sampled_from(["application/json", "text/plain", None]),
)
async def test_random_bodies_are_never_a_server_error(
    client: httpx.AsyncClient, path: str, body: bytes, content_type: str | None
) -> None:
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code < 500, (path, body[:200], response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM, response.headers
        problem: dict[str, Any] = response.json()
        assert problem["status"] == response.status_code
