"""Idempotency-Key beyond the plain replay (issue 17), on every backend: malformed keys are 400
with nothing run, reads and /transactions/inspect ignore the header, an export runs again and
its answer is never stored, a 5xx frees the key for a retry, a repeat waits for the first
request still running or gets 409 with Retry-After past the deadline, and no caller key or token
is ever written to the keys' store.
"""

import asyncio
import hashlib
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.sql.tables import idempotency_keys
from domain.errors import StoreUnavailable
from domain.idempotency import IdempotencyRecord
from entrypoints.container import Container
from tests.http.keyed_routes import (
    KEYED_ROUTES,
    NEW_KEY,
    OTHER_TOKEN,
    REPLAYED,
    SPONSOR_KEY,
    Call,
    KeyedRoute,
    new_key,
    problem,
    send,
    served,
    set_up,
)
from tests.support import AUTH, KEY, TOKEN, Faults, faulty_creation

TOKEN_ID = hashlib.sha256(TOKEN.encode()).hexdigest()[:12]
REGISTER = Call("POST", "/users", {"email": "grace@example.com", "id": "grace"})
CREATE = Call("POST", "/wallets/create-user-wallet", {"userId": "grace", "encryptionKey": KEY})
EXPORT = next(route for route in KEYED_ROUTES if route.route.endswith("/export"))
INSPECT = Call(
    "POST",
    "/transactions/inspect",
    {
        "transactionXdr": "AAAAAgAAAABEruigFVDUZ/Uq4KRQytqBY+qAQjW9c74lL1Cjo3aZSQAAAGQAA+unCgaw"
        "AQAAAAEAAAAAAAAAAAAAAABrNuyAAAAAAAAAAAEAAAAAAAAAAQAAAAB66rYRr/BODEu5QgxhaKCTXK3jM04kMgoK"
        "hjmhow4M3wAAAAAAAAAADuaygAAAAAAAAAABo3aZSQAAAEA8FmvdTsSNKffm2wvNQz1JqjpPcsmPx5j0C4bXm7pW"
        "Lvza04TQLY+zn9qVAOviV+wWf9P32nTNLHbSTUi4Gh8H",
        "networkPassphrase": "Test SDF Network ; September 2015",
        "signers": [
            {"key": "GBCK52FACVINIZ7VFLQKIUGK3KAWH2UAII232456EUXVBI5DO2MUTY4K", "weight": 1}
        ],
        "thresholds": {"low": 1, "medium": 2, "high": 2},
    },
)
DETAIL = "Idempotency-Key: must be one header of 1 to 255 printable ASCII characters"
SLOW = 1.5
"""Seconds the first creation takes to prepare its key: the repeats arrive meanwhile."""


async def _stored(container: Container, key: str) -> IdempotencyRecord | None:
    async with container.unit_of_work() as uow:
        record: IdempotencyRecord | None = await uow.idempotency.get(TOKEN_ID, key)
    return record


async def _registered(client: httpx.AsyncClient, user_id: str) -> bool:
    response = await client.get(f"/users/{user_id}", headers=AUTH)
    assert response.status_code in {200, 404}
    return response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Idempotency-Key", b"")],
        [(b"Idempotency-Key", b"k" * 256)],
        [(b"Idempotency-Key", "clé-1".encode())],
        [(b"Idempotency-Key", b"tab\there")],
        [(b"Idempotency-Key", b"\x7f")],
        [(b"Idempotency-Key", b"one"), (b"Idempotency-Key", b"two")],
        [(b"Idempotency-Key", b"same"), (b"Idempotency-Key", b"same")],
    ],
    ids=["empty", "256-chars", "non-ascii", "control", "delete", "two", "twice-the-same"],
)
async def test_a_malformed_key_is_400_and_runs_nothing(
    database_url: str, headers: list[tuple[bytes, bytes]]
) -> None:
    auth = [(name.encode(), value.encode()) for name, value in AUTH.items()]
    async with served(database_url) as (_, client):
        response = await client.post("/users", json=REGISTER.body, headers=[*auth, *headers])
        problem(response, 400, "invalid-input")
        assert response.json()["detail"] == DETAIL
        assert not await _registered(client, "grace")


@pytest.mark.parametrize("key", ["k" * 255, " ", "~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ x"])
async def test_any_one_to_255_printable_ascii_characters_are_a_key(
    database_url: str, key: str
) -> None:
    async with served(database_url) as (_, client):
        first = await send(client, REGISTER, key)
        assert first.status_code == 201, first.text
        repeat = await send(client, REGISTER, key)
        assert (repeat.status_code, repeat.headers[REPLAYED]) == (201, "true")


async def test_reads_and_inspect_ignore_the_header(database_url: str) -> None:
    async with served(database_url) as (_, client):
        await set_up(client)
        for key in ("", "x" * 300, "a-key"):
            read = await send(client, Call("GET", "/wallets/user/ada"), key)
            assert read.status_code == 200, read.text
            assert REPLAYED not in read.headers
        for key in ("", "an-inspection"):
            inspected = [await send(client, INSPECT, key) for _ in range(2)]
            assert [answer.status_code for answer in inspected] == [200, 200]
            assert all(REPLAYED not in answer.headers for answer in inspected)


async def test_an_export_runs_again_and_its_answer_is_never_stored(database_url: str) -> None:
    async with served(database_url) as (container, client):
        call, key = EXPORT.call(await set_up(client)), new_key()
        answers = [await send(client, call, key) for _ in range(2)]
        assert [answer.status_code for answer in answers] == [200, 200]
        assert all(REPLAYED not in answer.headers for answer in answers)
        first, second = (answer.json()["sealedSecret"] for answer in answers)
        assert first != second  # another sealed box of the same seed
        events = (await client.get("/wallets/user/ada/events", headers=AUTH)).json()["events"]
        assert [event["type"] for event in events].count("exported") == 2
        assert await _stored(container, key) is None
        assert first not in await _everything_stored(container)


async def test_a_500_is_not_kept_and_a_retry_with_the_key_runs(database_url: str) -> None:
    async with served(database_url) as (container, client):
        assert (await send(client, REGISTER)).status_code == 201
        key, faults = new_key(), Faults()
        with faulty_creation(container, faults):
            faults.arm("creations.add")
            problem(await send(client, CREATE, key), 500, "internal-error")
            assert await _stored(container, key) is None
            faults.arm("creations.add", StoreUnavailable("ConnectionResetError"))
            failed = await send(client, CREATE, key)
            problem(failed, 503, "database-unavailable")
            assert REPLAYED not in failed.headers
            assert await _stored(container, key) is None
            retried = await send(client, CREATE, key)
        assert faults.fired == ["creations.add", "creations.add"]
        assert retried.status_code == 201, retried.text
        assert REPLAYED not in retried.headers
        replayed = await send(client, CREATE, key)
        assert (replayed.status_code, replayed.headers[REPLAYED]) == (201, "true")
        assert replayed.content == retried.content


async def test_a_repeat_waits_for_the_first_request_still_running(database_url: str) -> None:
    async with served(database_url) as (container, client):
        assert (await send(client, REGISTER)).status_code == 201
        key, faults = new_key(), Faults()
        with faulty_creation(container, faults) as generated:
            faults.slow_down("cipher.prepare", SLOW)
            first = asyncio.create_task(send(client, CREATE, key))
            await asyncio.sleep(SLOW / 3)
            repeat = await send(client, CREATE, key)
            created = await first
        assert created.status_code == 201, created.text
        assert (repeat.status_code, repeat.headers[REPLAYED]) == (201, "true")
        assert repeat.content == created.content
        assert len(generated.seeds) == 1


async def test_a_repeat_past_the_deadline_is_409_with_retry_after(database_url: str) -> None:
    async with served(database_url, db_timeout=0.5) as (container, client):
        assert (await send(client, REGISTER)).status_code == 201
        key, faults = new_key(), Faults()
        with faulty_creation(container, faults) as generated:
            faults.slow_down("cipher.prepare", SLOW)
            first = asyncio.create_task(send(client, CREATE, key))
            await asyncio.sleep(SLOW / 5)
            waited = await send(client, CREATE, key)
            created = await first
        problem(waited, 409, "request-in-progress")
        assert int(waited.headers["retry-after"]) >= 1
        assert created.status_code == 201, created.text
        later = await send(client, CREATE, key)
        assert (later.status_code, later.headers[REPLAYED]) == (201, "true")
        assert len(generated.seeds) == 1


async def _everything_stored(container: Container) -> str:
    """Every column of every stored key, as text (bodies decoded byte for byte)."""
    if container.settings().backend == "memory":
        records = container.memory_store().idempotency.values()
        rows: list[tuple[Any, ...]] = [
            (repr(record), record.response.body if record.response else b"") for record in records
        ]
    else:
        async with container.engine().connect() as connection:
            rows = [tuple(row) for row in await connection.execute(select(idempotency_keys))]
    return "\n".join(
        value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for row in rows
        for value in row
    )


FIRST_TO_LAST = ("/users", "/create-user-wallet", "/sign", "/activation", "/signers", "/export")
"""Routes whose bodies hold caller keys, in an order in which each succeeds, then the others
(the rotation among them: after it the key is another)."""


def _rank(route: KeyedRoute) -> int:
    ends = [route.route.endswith(end) for end in FIRST_TO_LAST]
    return ends.index(True) if any(ends) else len(ends)


async def test_no_caller_key_or_token_is_stored(database_url: str) -> None:
    ordered = sorted(KEYED_ROUTES, key=_rank)
    async with served(database_url) as (container, client):
        ada = await set_up(client)
        for route in ordered:
            answer = await send(client, route.call(ada), new_key())
            assert answer.status_code in {200, 201}, (route, answer.text)
        stored = await _everything_stored(container)
    assert stored.count(TOKEN_ID) >= len(KEYED_ROUTES) - 1  # every answer but the export's
    for secret in (KEY, NEW_KEY, SPONSOR_KEY, TOKEN, OTHER_TOKEN):
        assert secret not in stored
        assert secret.encode().hex() not in stored
        assert hashlib.sha256(secret.encode()).hexdigest() not in stored
