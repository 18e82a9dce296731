"""The app's changing routes as the Idempotency-Key tests drive them (issue 17): for each route
that takes a key, a request that succeeds on the users and wallets `set_up` makes, how to count
its runs (an audit event, or the status a run again would answer), and an unkeyed request that
undoes it, so that a repeat that ran again would show.
"""

import base64
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
from nacl.public import PrivateKey
from stellar_sdk import Keypair

from entrypoints.container import Container, open_container
from entrypoints.http.idempotency import REPLAY, RERUN
from tests.support import AUTH, KEY, TESTNET, TOKEN, http_client, payment_from, settings_for

SPONSOR_KEY = "the treasury's own key, 16+ chars"
NEW_KEY = "a brand new caller key, 16+"
SEQUENCE = 4294967296
VALID_UNTIL = 1893456000
COSIGNER, OTHER_COSIGNER, OLD_COSIGNER, ISSUER = (
    Keypair.from_raw_ed25519_seed(bytes([n]) * 32).public_key for n in (21, 22, 23, 24)
)
RECIPIENT = base64.b64encode(bytes(PrivateKey(bytes([25]) * 32).public_key)).decode()
REPLAYED = "idempotent-replayed"
OTHER_TOKEN = "another-full-scope-token-0123"
OTHER_AUTH = {"Authorization": f"Bearer {OTHER_TOKEN}"}
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Call:
    """One request: method, path and JSON body (None: no body)."""

    method: str
    path: str
    body: dict[str, Any] | None = None

    def other(self) -> "Call":
        """Another request on the same route: an unknown member more in the body (ignored by
        every handler), or a query string when there is no body.
        """
        if self.body is None:
            return replace(self, path=self.path + "?again=1")
        return replace(self, body={**self.body, "note": "another request"})


@dataclass(frozen=True)
class KeyedRoute:
    """A route that takes an Idempotency-Key, and how its tests use it."""

    route: str
    """Its method and path as the OpenAPI document writes them."""
    call: Callable[[str], Call]
    """The request, given the public key of ada's wallet."""
    counted: str | None = None
    """The audit event each run records on ada's wallet (None: see `rerun_status`)."""
    rerun_status: int | None = None
    """What a run after the first answers, when it records no event (the first's differs)."""
    status_of: Callable[[httpx.Response], int] = lambda response: response.status_code
    """Where `rerun_status` is read from: the answer's status, or a batch's first item's."""
    before: tuple[Call, ...] = ()
    undo: Call | None = None
    keyed: str = REPLAY

    def __str__(self) -> str:
        return self.route


def _policy(path: str = "/wallets/user/ada/policy") -> Call:
    return Call("PUT", path, {"allowedOperations": ["payment", "setOptions"]})


_WALLET = "/wallets/user/ada"
_SUSPEND, _RESUME = Call("POST", f"{_WALLET}/suspend", {}), Call("POST", f"{_WALLET}/resume", {})
_ACTIVATION = {
    "encryptionKey": KEY,
    "networkPassphrase": TESTNET,
    "sponsor": {"userId": "treasury", "encryptionKey": SPONSOR_KEY},
    "sponsorSequence": str(SEQUENCE),
    "trustlines": [{"code": "USDC", "issuer": ISSUER, "limit": "1000000"}],
    "validUntil": VALID_UNTIL,
}
_SIGNERS = {
    "encryptionKey": KEY,
    "networkPassphrase": TESTNET,
    "sequence": str(2 * SEQUENCE),
    "currentSigners": [{"key": OLD_COSIGNER, "weight": 1}],
    "remove": [OLD_COSIGNER],
    "add": [{"key": COSIGNER, "weight": 1}, {"key": OTHER_COSIGNER, "weight": 2}],
    "thresholds": {"low": 1, "medium": 2, "high": 2},
    "validUntil": VALID_UNTIL,
}
_SIGN = {"encryptionKey": KEY, "networkPassphrase": TESTNET}
_ROTATE = {"encryptionKey": KEY, "newEncryptionKey": NEW_KEY}

KEYED_ROUTES = (
    KeyedRoute(
        "POST /users",
        lambda _: Call("POST", "/users", {"email": "grace@example.com", "id": "grace"}),
        rerun_status=200,
    ),
    KeyedRoute(
        "POST /wallets/create-user-wallet",
        lambda _: Call(
            "POST", "/wallets/create-user-wallet", {"userId": "bob", "encryptionKey": KEY}
        ),
        rerun_status=200,
    ),
    KeyedRoute(
        "POST /wallets/batch",
        lambda _: Call(
            "POST", "/wallets/batch", {"encryptionKey": KEY, "items": [{"userId": "bob"}]}
        ),
        rerun_status=200,
        status_of=lambda response: int(response.json()["results"][0]["status"]),
    ),
    KeyedRoute(
        "POST /wallets/user/{user_id}/sign",
        lambda ada: Call("POST", f"{_WALLET}/sign", {**_SIGN, "transactionXdr": payment_from(ada)}),
        "signed",
    ),
    KeyedRoute(
        "POST /wallets/user/{user_id}/rotate-key",
        lambda _: Call("POST", f"{_WALLET}/rotate-key", _ROTATE),
        "rotated",
        undo=Call(
            "POST", f"{_WALLET}/rotate-key", {"encryptionKey": NEW_KEY, "newEncryptionKey": KEY}
        ),
    ),
    KeyedRoute(
        "POST /wallets/user/{user_id}/export",
        lambda _: Call(
            "POST", f"{_WALLET}/export", {"encryptionKey": KEY, "recipientPublicKey": RECIPIENT}
        ),
        "exported",
        keyed=RERUN,
    ),
    KeyedRoute(
        "POST /wallets/user/{user_id}/suspend", lambda _: _SUSPEND, "suspended", undo=_RESUME
    ),
    KeyedRoute(
        "POST /wallets/user/{user_id}/resume",
        lambda _: _RESUME,
        "resumed",
        before=(_SUSPEND,),
        undo=_SUSPEND,
    ),
    KeyedRoute(
        "POST /wallets/user/{user_id}/activation",
        lambda _: Call("POST", f"{_WALLET}/activation", _ACTIVATION),
        "activation_signed",
    ),
    KeyedRoute(
        "POST /wallets/user/{user_id}/signers",
        lambda _: Call("POST", f"{_WALLET}/signers", _SIGNERS),
        "signer_change_signed",
    ),
    KeyedRoute(
        "PUT /wallets/user/{user_id}/policy",
        lambda _: _policy(),
        "policy_set",
        undo=Call("DELETE", f"{_WALLET}/policy"),
    ),
    KeyedRoute(
        "DELETE /wallets/user/{user_id}/policy",
        lambda _: Call("DELETE", f"{_WALLET}/policy"),
        "policy_removed",
        before=(_policy(),),
        undo=_policy(),
    ),
)
REPLAYING = tuple(route for route in KEYED_ROUTES if route.keyed == REPLAY)


async def send(
    client: httpx.AsyncClient,
    call: Call,
    key: str | None = None,
    auth: dict[str, str] = AUTH,
) -> httpx.Response:
    """Send the call, with `key` as its Idempotency-Key when given."""
    headers = dict(auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.request(call.method, call.path, json=call.body, headers=headers)


async def set_up(client: httpx.AsyncClient) -> str:
    """ada's and the treasury's wallets, and bob with none yet; the public key of ada's."""
    for user_id, key in (("ada", KEY), ("treasury", SPONSOR_KEY), ("bob", None)):
        body = {"email": f"{user_id}@example.com", "id": user_id}
        assert (await client.post("/users", json=body, headers=AUTH)).status_code == 201
        if key is not None:
            body = {"userId": user_id, "encryptionKey": key}
            created = await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)
            assert created.status_code == 201, created.text
            if user_id == "ada":
                public_key: str = created.json()["publicKey"]
    return public_key


async def prepared(client: httpx.AsyncClient, route: KeyedRoute) -> Call:
    """Set up, run the route's `before` requests, and return its request."""
    call = route.call(await set_up(client))
    for step in route.before:
        assert (await send(client, step)).status_code == 200
    return call


async def undo(client: httpx.AsyncClient, route: KeyedRoute) -> None:
    if route.undo is not None:
        assert (await send(client, route.undo)).status_code == 200


async def runs(client: httpx.AsyncClient, route: KeyedRoute) -> int:
    """How many `counted` events ada's wallet has (0 for a route that counts none)."""
    if route.counted is None:
        return 0
    response = await client.get(f"{_WALLET}/events?limit=100", headers=AUTH)
    assert response.status_code == 200
    return [event["type"] for event in response.json()["events"]].count(route.counted)


def ran_again(route: KeyedRoute, first: httpx.Response, repeat: httpx.Response) -> bool:
    """For a route that counts no event: the repeat answered as a second run does."""
    return route.status_of(repeat) == route.rerun_status != route.status_of(first)


def new_key() -> str:
    """A fresh Idempotency-Key (a UUID, as the README suggests)."""
    return str(uuid.uuid4())


@asynccontextmanager
async def served(
    database_url: str, **changes: Any
) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    """A container and a client of its app: two tokens with every scope, export allowed."""
    settings = settings_for(
        database_url, api_tokens=(TOKEN, OTHER_TOKEN), allow_export=True, **changes
    )
    async with open_container(settings) as container, http_client(container) as client:
        yield container, client


def problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith(f"/problems/{slug}")
