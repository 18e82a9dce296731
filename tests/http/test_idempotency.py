"""Idempotency-Key on every changing route (issue 17), on every backend: the routes that take a
key are every POST, PUT and DELETE but /transactions/inspect, as the route table says, and the
OpenAPI document says the same (a new changing route without `keyed=` fails here); on each, the
same request again is answered from the first without running, another request with the key is
422, each token has its own keys, an expired key runs again, and of ten concurrent copies one
runs.
"""

import asyncio
import re
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.http.idempotency import OPT, REPLAY, RERUN
from tests.http.keyed_routes import (
    KEYED_ROUTES,
    OTHER_AUTH,
    PROBLEM,
    REPLAYED,
    REPLAYING,
    KeyedRoute,
    new_key,
    prepared,
    problem,
    ran_again,
    runs,
    send,
    served,
    undo,
)
from tests.support import settings_for

CHANGING = frozenset({"POST", "PUT", "DELETE"})
NOT_KEYED = frozenset({"POST /transactions/inspect"})
"""The one changing method that changes nothing: it reads a transaction given in full."""
KEYS_PROBLEMS = {
    ("400", "invalid-input-idempotency-key"),
    ("409", "request-in-progress"),
    ("422", "idempotency-key-reused"),
}
"""What a route that takes a key documents it may answer because of the key."""
TTL = 0.5
COPIES = 10


def _app() -> Litestar:
    return create_app(build_container(settings_for("memory://")))


def _route_table() -> dict[str, Any]:
    """Every method and path of the app (paths as the OpenAPI document writes them), with the
    `opt` idempotency value of its handler.
    """
    table: dict[str, Any] = {}
    for route in _app().routes:
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.path)
        for handler in getattr(route, "route_handlers", ()):
            for method in handler.http_methods:
                table[f"{method} {path}"] = handler.opt.get(OPT)
    return table


def _operations() -> dict[str, Any]:
    """Every operation of the OpenAPI document, by method and path."""
    with TestClient(_app()) as client:
        document: dict[str, Any] = client.get("/schema/openapi.json").json()
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _documented_as_keyed() -> set[str]:
    return {
        route
        for route, operation in _operations().items()
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", ()))
    }


def _problems(operation: dict[str, Any]) -> set[tuple[str, str]]:
    """The (status, example name) of every problem an operation documents."""
    return {
        (status, name)
        for status, response in operation["responses"].items()
        for name in response.get("content", {}).get(PROBLEM, {}).get("examples", {})
    }


def test_every_changing_route_but_inspect_takes_a_key() -> None:
    table = _route_table()
    changing = {route for route in table if route.split()[0] in CHANGING}
    assert changing >= NOT_KEYED
    assert {route for route in changing if table[route] is None} == NOT_KEYED
    assert {route for route, keyed in table.items() if keyed} == changing - NOT_KEYED


def test_no_read_takes_a_key() -> None:
    table = _route_table()
    reads = [route for route in table if route.split()[0] not in CHANGING]
    assert any(route.startswith("GET /wallets/user/") for route in reads)
    assert [route for route in reads if table[route] is not None] == []


def test_the_document_shows_the_header_on_exactly_the_keyed_routes() -> None:
    keyed = {route for route, opt in _route_table().items() if opt is not None}
    assert _documented_as_keyed() == keyed


def test_the_successes_of_exactly_the_replaying_routes_document_the_replayed_header() -> None:
    replaying = {route for route, opt in _route_table().items() if opt == REPLAY}
    assert replaying
    for route, operation in _operations().items():
        for status, response in operation["responses"].items():
            header = response.get("headers", {}).get("Idempotent-Replayed")
            if route in replaying and status.startswith("2"):
                assert header is not None, (route, status)
                assert header["schema"] == {"type": "string", "enum": ["true"]}
            else:
                assert header is None, (route, status)


def test_the_keyed_routes_and_only_they_document_the_keys_problems() -> None:
    keyed = _documented_as_keyed()
    for route, operation in _operations().items():
        shown = _problems(operation) & KEYS_PROBLEMS
        assert shown == (KEYS_PROBLEMS if route in keyed else set()), route


def test_these_tests_cover_every_keyed_route_as_it_takes_its_key() -> None:
    keyed = {route: opt for route, opt in _route_table().items() if opt is not None}
    assert {route.route: route.keyed for route in KEYED_ROUTES} == keyed
    assert [route.route for route in KEYED_ROUTES if route.keyed == RERUN] == [
        "POST /wallets/user/{user_id}/export"
    ]


@pytest.mark.parametrize("route", REPLAYING, ids=str)
async def test_the_same_request_again_is_answered_from_the_first_and_runs_nothing(
    database_url: str, route: KeyedRoute
) -> None:
    async with served(database_url) as (_, client):
        call, key = await prepared(client, route), new_key()
        first = await send(client, call, key)
        assert 200 <= first.status_code < 300, first.text
        assert REPLAYED not in first.headers
        await undo(client, route)
        ran = await runs(client, route)
        for _ in range(2):
            repeat = await send(client, call, key)
            assert repeat.headers[REPLAYED] == "true"
            assert (repeat.status_code, repeat.content) == (first.status_code, first.content)
            assert repeat.headers["content-type"] == first.headers["content-type"]
        assert await runs(client, route) == ran
        assert not ran_again(route, first, repeat)


@pytest.mark.parametrize("route", REPLAYING, ids=str)
async def test_another_request_with_the_key_is_422_and_runs_nothing(
    database_url: str, route: KeyedRoute
) -> None:
    async with served(database_url) as (_, client):
        call, key = await prepared(client, route), new_key()
        first = await send(client, call, key)
        assert 200 <= first.status_code < 300, first.text
        await undo(client, route)
        ran = await runs(client, route)
        problem(await send(client, call.other(), key), 422, "idempotency-key-reused")
        assert await runs(client, route) == ran
        still = await send(client, call, key)
        assert (still.status_code, still.content, still.headers[REPLAYED]) == (
            first.status_code,
            first.content,
            "true",
        )


@pytest.mark.parametrize("route", KEYED_ROUTES, ids=str)
async def test_each_token_has_its_own_keys(database_url: str, route: KeyedRoute) -> None:
    async with served(database_url) as (_, client):
        call, key = await prepared(client, route), new_key()
        first = await send(client, call, key)
        assert 200 <= first.status_code < 300, first.text
        await undo(client, route)
        ran = await runs(client, route)
        theirs = await send(client, call, key, OTHER_AUTH)
        assert 200 <= theirs.status_code < 300, theirs.text
        assert REPLAYED not in theirs.headers
        if route.counted is None:
            assert ran_again(route, first, theirs)
        else:
            assert await runs(client, route) == ran + 1
        if route.keyed != RERUN:
            mine = await send(client, call, key)
            assert (mine.content, mine.headers[REPLAYED]) == (first.content, "true")


@pytest.mark.parametrize("route", REPLAYING, ids=str)
async def test_an_expired_key_runs_the_request_again(database_url: str, route: KeyedRoute) -> None:
    async with served(database_url, idempotency_ttl=TTL) as (_, client):
        call, key = await prepared(client, route), new_key()
        first = await send(client, call, key)
        assert 200 <= first.status_code < 300, first.text
        await undo(client, route)
        ran = await runs(client, route)
        await asyncio.sleep(TTL + 0.1)
        again = await send(client, call, key)
        assert 200 <= again.status_code < 300, again.text
        assert REPLAYED not in again.headers
        if route.counted is None:
            assert ran_again(route, first, again)
        else:
            assert await runs(client, route) == ran + 1


@pytest.mark.parametrize("route", REPLAYING, ids=str)
async def test_of_ten_concurrent_copies_one_runs_and_the_others_get_its_answer(
    database_url: str, route: KeyedRoute
) -> None:
    async with served(database_url) as (_, client):
        call, key = await prepared(client, route), new_key()
        ran = await runs(client, route)
        answers = await asyncio.gather(*(send(client, call, key) for _ in range(COPIES)))
        assert await runs(client, route) == ran + (route.counted is not None)
    fresh = [answer for answer in answers if REPLAYED not in answer.headers]
    assert len(fresh) == 1, [(a.status_code, a.text) for a in answers]
    (first,) = fresh
    assert 200 <= first.status_code < 300, first.text
    for answer in answers:
        if answer is not first and answer.status_code == httpx.codes.CONFLICT:
            # Only if it outwaited WALLET_DB_TIMEOUT; it ran nothing either.
            problem(answer, 409, "request-in-progress")
            assert int(answer.headers["retry-after"]) >= 1
        elif answer is not first:
            assert answer.headers[REPLAYED] == "true"
            assert (answer.status_code, answer.content) == (first.status_code, first.content)
