"""Every malformed request is a 4xx problem, never a 500, on every backend: bodies that are not
UTF-8, nested too deep or with a key twice; numbers past what a store can hold; headers too large.
The checks are entrypoints/http/request_checks.py's.
"""

import gc
import itertools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from domain.model import MAX_ID_CHARS
from entrypoints.container import Container
from entrypoints.http import examples
from entrypoints.http.request_checks import (
    MAX_DEPTH,
    MAX_HEADER_BYTES,
    MAX_QUERY_INT,
    NOT_UTF8,
    REPEATED_KEY,
    TOO_DEEP,
)
from tests.support import AUTH, http_client

PROBLEM = "application/problem+json"
USER = examples.EXAMPLE_USER_ID
WALLET = f"/wallets/user/{USER}"
CREATE = "/wallets/create-user-wallet"
BODIES: dict[str, dict[str, Any]] = {
    "/users": msgspec.to_builtins(examples.REGISTER_USER_EXAMPLE),
    CREATE: msgspec.to_builtins(examples.CREATE_WALLET_EXAMPLE),
    f"{WALLET}/sign": msgspec.to_builtins(examples.SIGN_EXAMPLE),
    f"{WALLET}/rotate-key": msgspec.to_builtins(examples.ROTATE_KEY_EXAMPLE),
    f"{WALLET}/export": msgspec.to_builtins(examples.EXPORT_EXAMPLE),
    f"{WALLET}/suspend": {},
    f"{WALLET}/resume": {},
}
"""A valid body of every POST route, for USER, whom the `client` fixture gives a wallet."""
JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """USER, registered, with a wallet sealed under the examples' key; and 'nobody-yet', a user
    with none."""
    async with http_client(container) as test_client:
        for body in (BODIES["/users"], {"email": "nobody-yet@example.com", "id": "nobody-yet"}):
            assert (await test_client.post("/users", json=body, headers=AUTH)).status_code == 201
        created = await test_client.post(CREATE, json=BODIES[CREATE], headers=AUTH)
        assert created.status_code == 201
        yield test_client


def _refused(response: httpx.Response, detail: str | None = None, status: int = 400) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    if detail is not None:
        assert (problem["detail"], problem.get("errors")) == (detail, [detail])


def _encoded(body: dict[str, Any], *, into_first_value: bytes = b"", extra: bytes = b"") -> bytes:
    """`body` as JSON, with raw bytes appended to its first string value and extra raw members."""
    text = json.dumps(body).encode()
    if into_first_value and body:
        first = json.dumps(next(iter(body.values()))).encode()
        text = text.replace(first, first[:-1] + into_first_value + b'"', 1)
    if extra:
        text = text[:-1] + (b", " if body else b"") + extra + b"}"
    return text


NOT_UTF8_BYTES = {
    "invalid byte": b"\xff",
    "latin-1": b"caf\xe9",
    "overlong NUL": b"\xc0\x80",
    "encoded surrogate": b"\xed\xa0\x80",
    "truncated sequence": b"\xe2\x82",
    "past U+10FFFF": b"\xf4\x90\x80\x80",
}


async def test_a_body_not_in_utf8_is_400_wherever_the_bytes_are(
    client: httpx.AsyncClient,
) -> None:
    """Was a 500 (UnicodeDecodeError out of msgspec) on every backend. In encryptionKey, userId
    or email (the first value of each body), in an ignored member's value, and in a key."""
    for path, body in BODIES.items():
        for bad in NOT_UTF8_BYTES.values():
            contents = [
                _encoded(body, extra=b'"note": "' + bad + b'"'),
                _encoded(body, extra=b'"' + bad + b'": 1'),
            ]
            if body:
                contents.append(_encoded(body, into_first_value=bad))
            for content in contents:
                response = await client.post(path, content=content, headers=JSON)
                _refused(response, NOT_UTF8)
    create = {"userId": "nobody-yet", "encryptionKey": examples.EXAMPLE_KEY}
    content = _encoded(create, extra=b'"x": "\xff"')
    _refused(await client.post(CREATE, content=content, headers=JSON), NOT_UTF8)
    assert (await client.get("/wallets/user/nobody-yet", headers=AUTH)).status_code == 404


async def test_lone_surrogate_escapes_stay_400(client: httpx.AsyncClient) -> None:
    """Valid UTF-8 and valid JSON, but no text: refused by msgspec or domain.secrets."""
    for escape in ("\\ud800", "\\udfff", "\\udc00\\ud800", "\\ud800\\ud800x"):
        for path, name in (
            (CREATE, "encryptionKey"),
            (f"{WALLET}/rotate-key", "newEncryptionKey"),
            (f"{WALLET}/sign", "encryptionKey"),
            ("/users", "email"),
        ):
            content = _escaped(path, name, escape)
            _refused(await client.post(path, content=content, headers=JSON))
    paired = _escaped(CREATE, "encryptionKey", "\\ud83e\\udd80").replace(
        USER.encode(), b"nobody-yet"
    )
    assert (await client.post(CREATE, content=paired, headers=JSON)).status_code == 201


def _escaped(path: str, name: str, escape: str) -> bytes:
    """The route's body with a JSON escape written at the end of field `name`'s value."""
    fields = {**BODIES[path], name: "PLACEHOLDER"}
    text = json.dumps(fields).replace("PLACEHOLDER", examples.EXAMPLE_KEY + escape)
    return text.encode()


def _nested(depth: int) -> bytes:
    """An ignored member holding arrays nested so that the body is `depth` deep."""
    inner = depth - 1
    return _encoded(BODIES[CREATE], extra=b'"note": ' + b"[" * inner + b"]" * inner)


async def test_a_body_nested_past_the_limit_is_400(client: httpx.AsyncClient) -> None:
    """Past msgspec's recursion limit it was a 500 (RecursionError) on every backend; in between
    it was read."""
    assert (await client.post(CREATE, content=_nested(MAX_DEPTH), headers=JSON)).status_code == 200
    _refused(await client.post(CREATE, content=_nested(MAX_DEPTH + 1), headers=JSON), TOO_DEEP)
    for content in (
        _nested(30_000),
        b"[" * 60_000,  # never closed
        b'{"note": ' + b'{"a": ' * 9_000,
        b"[" * 20 + b'"' + b"]" * 20,  # a string that never ends, after the 20
    ):
        _refused(await client.post(CREATE, content=content, headers=JSON), TOO_DEEP)


SLOW_SECONDS = 3.0


async def test_no_body_makes_the_checks_slow(client: httpx.AsyncClient) -> None:
    """64 KiB built against the scan for strings (a quadratic one took seconds on the first),
    for the nesting and for repeated keys: each is answered in tens of milliseconds here. The
    bound is wide because a loaded CI machine once took 0.95 s on one; the quadratic scans it
    guards against grow with the square of 64 KiB. The garbage collector is off while each is
    timed: late in a full run the test process holds a large heap, and a full collection set off
    by the 16,000 lists of one body took 4.2 s of a CI run (a quadratic scan needs no
    collector's help to be slow)."""
    gc.collect()
    for content in (
        b"[" * 17 + b'\\"' * 32_000 + b"\\",
        b'["[",' * 13_000 + b"1]",
        b"[" + b"[1]," * 16_000 + b"[]]",
        b'{"a": [' + b'{"k": 1},' * 7_000 + b"{}]}",
    ):
        gc.disable()
        try:
            started = time.perf_counter()
            response = await client.post(CREATE, content=content, headers=JSON)
            seconds = time.perf_counter() - started
        finally:
            gc.enable()
        assert seconds < SLOW_SECONDS, content[:40]
        _refused(response)


async def test_brackets_inside_strings_are_not_nesting(client: httpx.AsyncClient) -> None:
    key = '[{"\\"[' * 20 + "]}" * 20  # escaped quotes too: the string does not end early
    body = {"userId": "nobody-yet", "encryptionKey": key, "note": "[" * 100}
    assert (await client.post(CREATE, json=body, headers=AUTH)).status_code == 201


REPEATED = [
    (b'"encryptionKey": "%s", "encryptionKey": "%s"', "encryptionKey: appears more than once"),
    (
        b'"encryptionKey": "%s", "encryption\\u004bey": "%s"',
        "encryptionKey: appears more than once",
    ),
    (b'"encryptionKey": "%s", "note": {"k": 1, "k": 2}', REPEATED_KEY),
    (b'"encryptionKey": "%s", "secret?": 1, "secret?": 2', REPEATED_KEY),
]
"""Members after userId: the same field twice (also spelled with an escape), a key twice in a
nested object, an ignored key twice."""


async def test_a_key_twice_is_400_naming_only_fields_of_the_body(
    client: httpx.AsyncClient,
) -> None:
    """Was read as the last of the two by msgspec (201/200/409 by the key), while a proxy in
    front may read the first. Keys that are not fields are the caller's text: never repeated."""
    key = examples.EXAMPLE_KEY.encode()
    for members, detail in REPEATED:
        content = b'{"userId": "nobody-yet", ' + members.replace(b"%s", key) + b"}"
        _refused(await client.post(CREATE, content=content, headers=JSON), detail)
    assert (await client.get("/wallets/user/nobody-yet", headers=AUTH)).status_code == 404


async def test_a_key_twice_is_400_on_every_route(client: httpx.AsyncClient) -> None:
    """The first field of each valid body sent again; an ignored key twice in an empty body."""
    for path, body in BODIES.items():
        content, detail = _encoded(body, extra=b'"note": 1, "note": 1'), REPEATED_KEY
        if body:
            key, value = next(iter(body.items()))
            member = json.dumps({key: value})[1:-1].encode()
            content, detail = _encoded(body, extra=member), f"{key}: appears more than once"
        _refused(await client.post(path, content=content, headers=JSON), detail)


EVENTS = f"{WALLET}/events"
QUERIES = [
    ({"cursor": str(MAX_QUERY_INT + 1)}, "cursor: Expected `int` <= 2147483647"),
    ({"cursor": str(2**63 - 1)}, "cursor: Expected `int` <= 2147483647"),
    ({"cursor": str(2**63)}, "cursor: Expected `int` <= 2147483647"),
    ({"cursor": str(2**64)}, "cursor: Expected `int` <= 2147483647"),
    ({"cursor": "1e10"}, "cursor: Expected `int` <= 2147483647"),
    ({"cursor": "9" * 5000}, "cursor: Integer value out of range"),
    ({"cursor": "-1"}, "cursor: Expected `int` >= 0"),
    ({"cursor": str(-(2**63))}, "cursor: Expected `int` >= 0"),
    ({"cursor": "ten"}, "cursor: Expected `int`, got `str`"),
    ({"cursor": "0x10"}, "cursor: Expected `int`, got `str`"),
    ({"limit": str(2**63)}, "limit: Expected `int` <= 100"),
    ({"limit": str(-(2**63))}, "limit: Expected `int` >= 1"),
]


async def test_cursors_and_limits_past_what_a_store_holds_are_400(
    client: httpx.AsyncClient,
) -> None:
    """A cursor over 2**31 - 1 was a 500 on PostgreSQL (its INTEGER column), over 2**63 - 1 on
    SQLite too; the memory store took anything."""
    for query, detail in QUERIES:
        _refused(await client.get(EVENTS, params=query, headers=AUTH), detail)
        assert (await client.head(EVENTS, params=query, headers=AUTH)).status_code == 400


async def test_the_largest_cursor_is_an_empty_page(client: httpx.AsyncClient) -> None:
    response = await client.get(EVENTS, params={"cursor": MAX_QUERY_INT}, headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"events": [], "nextCursor": None}


async def test_numbers_where_text_is_expected_are_400(client: httpx.AsyncClient) -> None:
    """Already a 400 before the checks, on every backend."""
    numbers = [b"9" * 30, b"9" * 5000, b"-" + b"9" * 400, b"1e999", b"-0", b"NaN", b"Infinity"]
    for name, value in itertools.product((b"userId", b"encryptionKey"), numbers):
        fields = {
            b"userId": b'"nobody-yet"',
            b"encryptionKey": b'"%s"' % examples.EXAMPLE_KEY.encode(),
        }
        fields[name] = value
        content = b"{" + b", ".join(b'"%s": %s' % item for item in fields.items()) + b"}"
        _refused(await client.post(CREATE, content=content, headers=JSON))


async def test_headers_over_the_limit_are_431_before_the_token_is_read(
    client: httpx.AsyncClient,
) -> None:
    """Were read whatever their size (the servers' own limits differ: h11 16 KiB, httptools
    none)."""
    near = {**AUTH, "X-Padding": "x" * (MAX_HEADER_BYTES - 500)}
    assert (await client.get(f"/users/{USER}", headers=near)).status_code == 200
    many = {f"X-Padding-{number}": "x" * 100 for number in range(200)}
    for path, headers in (
        (f"/users/{USER}", {**AUTH, "X-Padding": "x" * MAX_HEADER_BYTES}),
        (f"/users/{USER}", {**AUTH, **many}),
        (f"/users/{USER}", {"Authorization": "Bearer " + "x" * MAX_HEADER_BYTES}),
        ("/health", {"X-Padding": "x" * MAX_HEADER_BYTES}),
    ):
        _refused(await client.get(path, headers=headers), status=431)
    response = await client.post(
        CREATE, json=BODIES[CREATE], headers={**AUTH, "X-Padding": "x" * MAX_HEADER_BYTES}
    )
    _refused(response, status=431)


async def test_a_bad_id_in_the_path_is_named_as_in_a_body(client: httpx.AsyncClient) -> None:
    too_long = "x" * (MAX_ID_CHARS + 1)
    in_path = await client.get(f"/wallets/user/{too_long}", headers=AUTH)
    body = {"userId": too_long, "encryptionKey": "a caller key of 16+ characters"}
    in_body = await client.post(CREATE, json=body, headers=AUTH)
    for response in (in_path, in_body):
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"] == [f"userId: Expected `str` of length <= {MAX_ID_CHARS}"]
