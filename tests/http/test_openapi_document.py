"""The OpenAPI document: valid OpenAPI 3.1; every operation shows an example of its body and of
every response, each valid against its schema; every problem example has a type the server sends
with that status; and for every documented response example a real request gets that status and
a body the documented schema accepts: for a problem, the example word for word (and
'Retry-After' when its row says so); for a success, a body of the example's shape. The Stellar
network's answers come from a loopback Horizon stand-in, the ledger set up as each case needs.
"""

import asyncio
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from http import HTTPStatus
from typing import Any, Self

import httpx
import pytest
from dependency_injector import providers
from litestar.testing import TestClient
from openapi_schema_validator import OAS31Validator
from openapi_schema_validator import validate as validate_instance
from openapi_spec_validator import validate as validate_document
from stellar_sdk import Account, Keypair, MuxedAccount, TransactionBuilder, TransactionEnvelope

from adapters.crypto.envelope import KdfParams
from adapters.kms.base import KeyWrapper
from adapters.kms.memory import InMemoryKeyWrapper
from adapters.kms.transit import TransitKeyWrapper
from adapters.stellar.horizon import HorizonNetwork
from domain.errors import EnvelopeTampered
from domain.idempotency import IdempotencyRecord
from domain.model import WalletBinding, utc_now
from domain.ports import Cipher
from domain.recovery import RecoveryKey
from domain.secrets import EncryptionKey, SecretSeed
from entrypoints.container import Container, build_container, close_clients, open_container
from entrypoints.errors import DOMAIN_PROBLEMS, ProblemType
from entrypoints.http import examples, problems
from entrypoints.http.app import create_app
from entrypoints.http.auth import ApiTokens
from entrypoints.http.problems import INTERNAL_ERROR, PROBLEM_JSON
from entrypoints.http.request_checks import MAX_DEPTH, MAX_HEADER_BYTES
from entrypoints.kms_settings import KmsSettings, TransitSettings
from entrypoints.scopes import Scope
from tests.horizon_standin import BASE_RESERVE, STROOPS, HorizonStandIn
from tests.kms_transit import TIMEOUT_SECONDS, created_key, shared_server, transit_wrapper
from tests.support import (
    AUTH,
    CREATE_ONLY_AUTH,
    READ_ONLY_AUTH,
    TOKEN,
    http_client,
    settings_for,
)

Json = dict[str, Any]


def _served_document() -> Json:
    app = create_app(build_container(settings_for("memory://")))
    with TestClient(app) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: Json = response.json()
    return document


DOCUMENT = _served_document()
NOT_COVERED_HERE: set[tuple[str, str]] = set()
"""Operations this module leaves out."""
OPERATIONS = [
    (method, path)
    for path, item in DOCUMENT["paths"].items()
    if not path.startswith("/schema")
    for method in item
    if (method, path) not in NOT_COVERED_HERE
]
PROTECTED = [
    (method, path)
    for method, path in OPERATIONS
    if DOCUMENT["paths"][path][method].get("security") != [{}]
]
WITH_BODY = [
    (method, path)
    for method, path in OPERATIONS
    if "requestBody" in DOCUMENT["paths"][path][method]
]
IDEMPOTENCY_KEY = "Idempotency-Key"
KEYED = [
    (method, path)
    for method, path in OPERATIONS
    if any(
        (parameter["in"], parameter["name"]) == ("header", IDEMPOTENCY_KEY)
        for parameter in DOCUMENT["paths"][path][method].get("parameters", [])
    )
]
"""The operations that take an Idempotency-Key."""


@dataclass(frozen=True)
class Documented:
    """One example in the document, with where it is and the schema it shows."""

    method: str
    path: str
    status: int | None  # None: the request body
    media_type: str
    name: str
    value: Any
    schema: Json


def _documented_examples() -> Iterator[Documented]:
    for method, path in OPERATIONS:
        operation = DOCUMENT["paths"][path][method]
        places: list[tuple[int | None, Json]] = [(None, operation.get("requestBody", {}))]
        places += [(int(status), response) for status, response in operation["responses"].items()]
        for status, place in places:
            for media_type, media in place.get("content", {}).items():
                for name, example in media.get("examples", {}).items():
                    yield Documented(
                        method, path, status, media_type, name, example["value"], media["schema"]
                    )


EXAMPLES = list(_documented_examples())
RESPONSE_EXAMPLES = [example for example in EXAMPLES if example.status is not None]


def _validate(instance: Any, schema: Json) -> None:
    """Validate against a schema of the document (its references resolve in the document)."""
    validate_instance(
        instance,
        {**schema, "components": DOCUMENT["components"]},
        cls=OAS31Validator,
        format_checker=OAS31Validator.FORMAT_CHECKER,
    )


def _rows() -> dict[tuple[int, str], ProblemType]:
    """Every problem the server can send, by (status, type): the error table's rows, and those
    of what the framework refuses by itself.
    """
    rows = [*DOMAIN_PROBLEMS.values(), *problems.FRAMEWORK_PROBLEMS.values(), INTERNAL_ERROR]
    return {(row.status.value, row.type): row for row in rows}


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate_document(DOCUMENT)


def test_every_route_but_health_and_ready_needs_the_bearer_token() -> None:
    scheme = DOCUMENT["components"]["securitySchemes"]["BearerToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert DOCUMENT["security"] == [{"BearerToken": []}]
    public = {(method, path) for method, path in OPERATIONS if (method, path) not in PROTECTED}
    assert public == {("get", "/health"), ("get", "/ready")}


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_protected_route_names_the_one_scope_its_token_needs(method: str, path: str) -> None:
    """A new route without a scope fails here (and answers 403 to every token that has scopes)."""
    assert _scope(method, path) in set(Scope)


def _scope(method: str, path: str) -> Scope:
    (requirement,) = DOCUMENT["paths"][path][method]["security"]
    (scopes,) = requirement.values()
    (scope,) = scopes
    return Scope(scope)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_body_and_every_response_has_an_example(method: str, path: str) -> None:
    operation = DOCUMENT["paths"][path][method]
    shown = {(e.status, e.media_type) for e in EXAMPLES if (e.method, e.path) == (method, path)}
    for media_type in operation.get("requestBody", {}).get("content", {}):
        assert (None, media_type) in shown, f"no example of the {media_type} body"
    for status, response in operation["responses"].items():
        assert response.get("content"), f"{status} has no body"
        for media_type in response["content"]:
            assert (int(status), media_type) in shown, f"no example of the {status} {media_type}"


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_example_is_valid_against_its_schema(example: Documented) -> None:
    _validate(example.value, example.schema)


def test_every_problem_example_has_a_type_the_server_sends_with_its_status() -> None:
    sent = _rows()
    for example in RESPONSE_EXAMPLES:
        assert example.status is not None
        if example.status < 400:
            assert example.media_type != PROBLEM_JSON, example
            continue
        assert example.media_type == PROBLEM_JSON, example
        assert (example.status, example.value["type"]) in sent, example
        assert example.value["status"] == example.status, example
        assert example.value["title"] == HTTPStatus(example.status).phrase, example


def test_no_example_looks_like_a_stellar_secret_seed() -> None:
    assert not re.search(r"\bS[A-Z2-7]{55}\b", json.dumps(DOCUMENT))


# The server sends what the document shows: one real request per documented response example.

USER, OTHER_USER = "user-42", "user-43"  # the examples' user, and a second one
WRONG_KEY = "not the key this wallet was sealed under"
UNREACHABLE = "postgresql://postgres@127.0.0.1:9/none"
NOTHING_LISTENS = "http://127.0.0.1:9"
UNREACHABLE_TRANSIT = KmsSettings(
    "transit", transit=TransitSettings(NOTHING_LISTENS, "wallets", "s.a-token-of-no-server")
)
"""WALLET_KMS=transit at an address where nothing listens: every call is refused a connection."""
HELD_DERIVATION = KdfParams(memory_kib=32 * 1024, iterations=24)
"""A few tenths of a second: far longer than BUSY lets a derivation wait for its slot."""
BUSY = {"kdf_concurrency": 1, "db_timeout": 0.05, "key_cache_size": 0}
"""One derivation at a time, each waiting for its slot 50 ms at most, none cached (an operation
on a wallet derives its key again)."""
CREATE = "/wallets/create-user-wallet"
BATCH = "/wallets/batch"
USERS = "/users"
WALLET = "/wallets/user/{user_id}"
SIGN, ROTATE, EXPORT = (f"{WALLET}/{verb}" for verb in ("sign", "rotate-key", "export"))
SUSPEND, RESUME, EVENTS = (f"{WALLET}/{verb}" for verb in ("suspend", "resume", "events"))
ESCROW, POLICY = f"{WALLET}/escrow", f"{WALLET}/policy"
RECOVERY = {"recovery_key": RecoveryKey("jXvNVcAxvAStoFlBg7hKZS44CNuZvyPz4rkKfRlLtXY=")}
"""A recovery key is configured (the examples' escrow is sealed to this one)."""
INSPECT = "/transactions/inspect"
ALLOWED = {"allow_export": True}
SETTINGS = {("post", EXPORT): ALLOWED}
"""Settings an operation needs to get past its first check (exports are off by default)."""


def _request(method: str, path: str, name: str | None = None) -> Any:
    """The operation's documented request body `name` (its first one by default)."""
    if (method, path) not in WITH_BODY:
        return None
    examples = DOCUMENT["paths"][path][method]["requestBody"]["content"]["application/json"]
    named = examples["examples"]
    return named[name or next(iter(named))]["value"]


KEY = _request("post", CREATE)["encryptionKey"]
ACTIVATE, SIGNERS = f"{WALLET}/activation", f"{WALLET}/signers"
ACTIVATION = _request("post", ACTIVATE)  # the treasury's wallet sponsors; no submission
SUBMITTED_ACTIVATION = _request("post", ACTIVATE, "submit")
ELSEWHERE = _request("post", ACTIVATE, "sponsor-elsewhere")
SIGNER_CHANGE = _request("post", SIGNERS)
TREASURY = ACTIVATION["sponsor"]["userId"]
TREASURY_KEY = ACTIVATION["sponsor"]["encryptionKey"]
SPONSOR_ELSEWHERE = ELSEWHERE["sponsor"]["publicKey"]
NETWORK = ACTIVATION["networkPassphrase"]
HORIZON_TIMEOUT = 5.0
"""Seconds the service waits for the Horizon stand-in: far more than its answers take."""


@dataclass
class World:
    """The app on a fresh container, and what a case can set up before its request."""

    client: httpx.AsyncClient
    container: Container
    config: pytest.Config
    exits: ExitStack
    transit_key: str = "wallets"
    background: list[asyncio.Task[Any]] = field(default_factory=list)
    public_keys: dict[str, str] = field(default_factory=dict)
    """The public key of each wallet the steps made, by user id."""
    standin: HorizonStandIn | None = None

    async def send(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        user: str = USER,
        headers: Mapping[str, str] = AUTH,
        content: bytes | None = None,
        query: Mapping[str, int] | None = None,
    ) -> httpx.Response:
        if content is not None:
            headers = {**headers, "Content-Type": "application/json"}
        return await self.client.request(
            method.upper(),
            path.replace("{user_id}", user),
            json=body,
            content=content,
            headers=headers,
            params=query,
        )

    async def user(self, user_id: str = USER) -> None:
        body = _request("post", USERS, "with-id")
        if user_id != USER:
            body = {"email": f"{user_id}@example.com", "id": user_id}
        assert (await self.send("post", USERS, body)).status_code == 201

    async def wallet(self, user_id: str = USER, key: str = KEY) -> None:
        await self.user(user_id)
        body = {"userId": user_id, "encryptionKey": key}
        response = await self.send("post", CREATE, body)
        assert response.status_code == 201
        self.public_keys[user_id] = response.json()["publicKey"]

    async def treasury(self) -> None:
        """The sponsor of the activation examples: a wallet held here."""
        await self.wallet(TREASURY, TREASURY_KEY)

    async def wallets(self) -> None:
        """USER's wallet and the treasury's."""
        await self.wallet()
        await self.treasury()

    async def on_the_network(self) -> None:
        """From now on the Stellar network is a Horizon stand-in of the examples' network, on
        loopback; it stops when the case is over.
        """
        self.standin = self.exits.enter_context(HorizonStandIn(NETWORK))
        network = HorizonNetwork(self.standin.url, HORIZON_TIMEOUT)
        self.container.stellar_network.override(providers.Object(network))

    def network(self) -> HorizonStandIn:
        assert self.standin is not None, "a step before this one puts the case on the network"
        return self.standin

    async def suspend(self) -> None:
        assert (await self.send("post", SUSPEND, {})).status_code == 200

    async def sign(self) -> None:
        assert (await self.send("post", SIGN, _from_the_wallet(self, USER))).status_code == 200

    async def payments_policy(self) -> None:
        """USER's wallet's own policy: the documented one, payments to the treasury only."""
        policy = _request("put", POLICY, "payments")
        assert (await self.send("put", POLICY, policy)).status_code == 200

    async def tamper(self) -> None:
        """USER's wallet, holding the envelope of another wallet under the same key."""
        await self.wallet()
        await self.wallet(OTHER_USER)
        async with self.container.unit_of_work() as uow:
            wallet = await uow.wallets.get_by_user(USER, for_update=True)
            other = await uow.wallets.get_by_user(OTHER_USER)
            assert wallet is not None
            assert other is not None
            await uow.wallets.update(wallet.reencrypted(other.encrypted_key))
            await uow.commit()

    async def break_sealing(self) -> None:
        sealing = _UnopenableSeals(self.container.cipher())
        self.container.cipher.override(providers.Object(sealing))

    async def busy_deriving(self) -> None:
        """Another caller's key derivation holds the only slot (BUSY) from now on, for longer
        than a request may wait for it.
        """
        cache = self.container.key_cache()
        started = cache.stats.derivations

        async def derive() -> None:
            with EncryptionKey.from_text("another caller's brand new key") as key:
                await cache.stretched(key, bytes(16), HELD_DERIVATION)

        self.background.append(asyncio.create_task(derive()))
        while cache.stats.derivations == started:  # counted once the slot is taken
            await asyncio.sleep(0.001)

    async def on_a_new_memory_key(self) -> None:
        """From now on the backend is another in-process one, with a key of its own."""
        await self._use_backend(InMemoryKeyWrapper())

    async def on_transit(self) -> None:
        """From now on the backend is a transit key of the session's OpenBao (as `kms init`
        makes it), reached with a token of the wallets' policy on it. Skipped without OpenBao,
        failed under CI=true.
        """
        server = shared_server(self.config)
        self.transit_key = created_key(server)
        token = server.wallet_token(self.transit_key)
        await self._use_backend(transit_wrapper(server, self.transit_key, token))

    async def transit_unreachable(self) -> None:
        """From now on nothing listens at the transit backend's address."""
        unreachable = TransitKeyWrapper(
            NOTHING_LISTENS, "s.a-token-of-no-server", self.transit_key, TIMEOUT_SECONDS
        )
        await self._use_backend(unreachable)

    async def transit_refusing(self) -> None:
        """From now on the transit token is one whose policy is on another key."""
        server = shared_server(self.config)
        token = server.wallet_token(created_key(server))
        await self._use_backend(transit_wrapper(server, self.transit_key, token))

    async def _use_backend(self, wrapper: KeyWrapper) -> None:
        """Close the backend in use and put `wrapper` in its place; the cipher is made again."""
        await close_clients(self.container)
        self.container.key_wrapper.override(providers.Object(wrapper))
        self.container.cipher.reset()

    async def settle(self) -> None:
        """Wait for what the steps left running."""
        await asyncio.gather(*self.background)


class _UnopenableSeals:
    """A cipher whose new envelopes do not open: the self-check after sealing fails."""

    def __init__(self, inner: Cipher) -> None:
        self._inner = inner
        self._sealed: set[str] = set()

    async def prepare(self, key: EncryptionKey) -> EncryptionKey:
        return await self._inner.prepare(key)

    async def ready_to_seal(self, key: EncryptionKey) -> EncryptionKey | None:
        return await self._inner.ready_to_seal(key)

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        envelope = await self._inner.encrypt(seed, key, binding)
        self._sealed.add(envelope)
        return envelope

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        if envelope in self._sealed:
            raise EnvelopeTampered("injected")
        return await self._inner.decrypt(envelope, key, binding)

    def opened_before(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> bool:
        return False  # every proof opens the envelope, through decrypt above

    async def verify(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> None:
        (await self.decrypt(envelope, key, binding)).wipe()


Step = Callable[[World], Awaitable[None]]
Send = Callable[[World], Awaitable[httpx.Response]]
Made = Callable[[World, str], Json]
"""A body made once the steps are done, from the world and the user the request is for."""
_DOCUMENTED: Any = object()


def _from_the_wallet(world: World, user: str, **changes: Any) -> Json:
    """The documented sign request, its payment from the user's wallet rather than from the
    examples' one (here a wallet's key is made at random): with no policy a wallet signs only
    what is its own, as the example's wallet does. Before the wallet is made, the documented
    request itself.
    """
    body = {**_request("post", SIGN), **changes}
    public_key = world.public_keys.get(user)
    if public_key is None:
        return body
    envelope = TransactionEnvelope.from_xdr(body["transactionXdr"], body["networkPassphrase"])
    envelope.transaction.source = MuxedAccount(public_key)
    return {**body, "transactionXdr": envelope.to_xdr()}


MADE: dict[tuple[str, str], Made] = {("post", SIGN): _from_the_wallet}
"""Operations whose documented body is made for the world the request is sent in."""


def _send(
    method: str,
    path: str,
    *given: Step,
    body: Any = _DOCUMENTED,
    user: str = USER,
    headers: Mapping[str, str] = AUTH,
    content: bytes | None = None,
    query: Mapping[str, int] | None = None,
) -> Send:
    """After the `given` steps, the request: the documented body unless another is given (a
    `Made` one is made after the steps).
    """
    sent = MADE.get((method, path), _request(method, path)) if body is _DOCUMENTED else body

    async def send(world: World) -> httpx.Response:
        for step in given:
            await step(world)
        made = sent(world, user) if callable(sent) else sent
        return await world.send(
            method, path, made, user=user, headers=headers, content=content, query=query
        )

    return send


def _sent(method: str, path: str) -> Step:
    async def step(world: World) -> None:
        await _send(method, path)(world)

    return step


async def _failing_storage(world: World) -> None:
    """Every unit of work fails, as nothing expects it to."""
    world.container.unit_of_work.override(providers.Factory(_BrokenUnitOfWork))
    world.container.read_unit_of_work.override(providers.Factory(_BrokenUnitOfWork))


async def _failing_inspector(world: World) -> None:
    """The transaction inspector fails, as nothing expects it to (it touches no storage)."""
    world.container.inspector.override(providers.Object(object()))


FAULTS: dict[tuple[str, str], Step] = {("post", INSPECT): _failing_inspector}
"""How an operation is made to fail unexpectedly, where failing storage would not touch it."""


class _BrokenUnitOfWork:
    async def __aenter__(self) -> Self:
        raise RuntimeError("injected")

    async def __aexit__(self, *_: object) -> None:
        return None


@dataclass(frozen=True)
class Case:
    """A request that should get the documented response example `example` of `status`."""

    method: str
    path: str
    status: int
    example: str
    send: Send
    settings: Mapping[str, Any] = field(default_factory=dict)
    database_url: str = "memory://"

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {self.status} {self.example}"


def _common_cases() -> Iterator[Case]:
    """What every operation, every protected one, and every one with a body, can answer."""
    for method, path in OPERATIONS:
        token = AUTH if (method, path) in PROTECTED else {}
        padded = _send(method, path, headers={**token, "X-Padding": "x" * MAX_HEADER_BYTES})
        yield Case(method, path, 431, "request-header-fields-too-large", padded)
    for method, path in PROTECTED:
        settings = SETTINGS.get((method, path), {})
        yield Case(method, path, 401, "unauthorized", _send(method, path, headers={}))
        lacking = CREATE_ONLY_AUTH if _scope(method, path) == Scope.READ else READ_ONLY_AUTH
        yield Case(
            method, path, 403, "insufficient-scope", _send(method, path, headers=lacking), settings
        )
        yield Case(
            method,
            path,
            429,
            "too-many-requests",
            _send(method, path, _sent(method, path)),
            {**settings, "rate_limit": (1, "minute")},
        )
        if _documents(method, path, 500):  # all but /metrics, which touches no storage
            failing = _send(method, path, FAULTS.get((method, path), _failing_storage))
            yield Case(method, path, 500, "internal-error", failing, settings)
        if _documents(method, path, 503):
            unavailable = _send(method, path)
            yield Case(
                method, path, 503, "database-unavailable", unavailable, settings, UNREACHABLE
            )
    for method, path in WITH_BODY:
        big = b"{" + b" " * (64 * 1024) + b"}"
        yield Case(method, path, 413, "request-entity-too-large", _send(method, path, content=big))
        yield Case(method, path, 400, "invalid-input-no-body", _send(method, path, body=None))
        yield from _unreadable_body_cases(method, path)


def _unreadable_body_cases(method: str, path: str) -> Iterator[Case]:
    not_utf8 = b'{"note": "caf\xe9"}'  # Latin-1
    yield Case(method, path, 400, "invalid-input-not-utf8", _send(method, path, content=not_utf8))
    deep = b'{"note": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"  # the body object, and 16
    yield Case(method, path, 400, "invalid-input-too-deep", _send(method, path, content=deep))
    # The documented body with its first member sent twice (an empty one: an ignored key, twice).
    body = _request(method, path)
    first = next(iter(body.items()), ("note", 1))
    members = [*body.items(), first] if body else [first, first]
    repeated = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in members) + "}"
    send = _send(method, path, content=repeated.encode())
    yield Case(method, path, 400, "invalid-input-repeated-key", send)


RETRY_KEY = "5c1f2e8a-3b7d-4f60-9a2c-7e4d1b0f6a93"
KEYED_AUTH = {**AUTH, IDEMPOTENCY_KEY: RETRY_KEY}
TOKEN_ID = ApiTokens((TOKEN,)).listed()[0].token_id
"""The id the server keeps TOKEN's keys under."""
WAIT = {"db_timeout": 0.05}
"""A repeat waits 50 ms at most for its key's first request to answer."""


def _idempotency_cases() -> Iterator[Case]:
    """What every operation that takes an Idempotency-Key can answer: a malformed key; a key the
    token used for another request; and a key whose first request, this same one, still runs
    past the wait.
    """
    for method, path in KEYED:
        settings = SETTINGS.get((method, path), {})
        malformed = _send(method, path, headers={**AUTH, IDEMPOTENCY_KEY: "x" * 256})
        yield Case(method, path, 400, "invalid-input-idempotency-key", malformed, settings)
        used = KEY_USED.get((method, path), _used_for_another_request)(method, path)
        reused = _send(method, path, used, headers=KEYED_AUTH)
        yield Case(method, path, 422, "idempotency-key-reused", reused, settings)
        body = _encoded(_request(method, path))
        running = _send(
            method, path, _running(method, path, body), headers=KEYED_AUTH, content=body
        )
        yield Case(method, path, 409, "request-in-progress", running, {**settings, **WAIT})


def _encoded(body: Any) -> bytes | None:
    return None if body is None else json.dumps(body).encode()


def _another_body(method: str, path: str) -> Json:
    """Another request on the operation than its documented one: a member more in the body."""
    return {**(_request(method, path) or {}), "note": "another request"}


def _used_for_another_request(method: str, path: str) -> Step:
    """RETRY_KEY was used for another request on the operation, and its answer kept."""

    async def step(world: World) -> None:
        await world.send(method, path, _another_body(method, path), headers=KEYED_AUTH)

    return step


def _running_another_request(method: str, path: str) -> Step:
    """RETRY_KEY is held by another request on the operation, still running."""
    return _running(method, path, _encoded(_another_body(method, path)))


KEY_USED: dict[tuple[str, str], Callable[[str, str], Step]] = {
    ("post", EXPORT): _running_another_request
}
"""How RETRY_KEY comes to be another request's, where answers are not kept (an export's holds
the sealed seed: a repeat runs again), so that the key is another request's only while it runs.
"""


def _running(method: str, path: str, body: bytes | None) -> Step:
    """A first request with RETRY_KEY, of `body` on the operation, still running: its claim,
    just made and unanswered.
    """

    async def step(world: World) -> None:
        now, request_hash = utc_now(), _request_hash(method, path, body)
        claim = IdempotencyRecord(TOKEN_ID, RETRY_KEY, request_hash, now, now + timedelta(days=1))
        async with world.container.unit_of_work() as uow:
            assert await uow.idempotency.claim(claim)
            await uow.commit()

    return step


def _request_hash(method: str, path: str, body: bytes | None) -> str:
    """What the server knows a request without a query by (entrypoints/http/idempotency.py): an
    HMAC-SHA256, keyed with the bearer token, of its method, path, query and body, a line each.
    """
    raw_path = path.replace("{user_id}", USER).encode()
    request = b"\n".join((method.upper().encode(), raw_path, b"", body or b""))
    return hmac.new(TOKEN.encode(), request, hashlib.sha256).hexdigest()


def _documents(method: str, path: str, status: int) -> bool:
    return str(status) in DOCUMENT["paths"][path][method]["responses"]


def _reading_cases() -> Iterator[Case]:
    long_id = "x" * 129
    for path, ready in ((WALLET, World.wallet), ("/users/{user_id}", World.user)):
        name = "wallet" if path == WALLET else "user"
        missing = "wallet-not-found" if path == WALLET else "user-not-found"
        yield Case("get", path, 200, name, _send("get", path, ready))
        yield Case("get", path, 400, "invalid-input-path", _send("get", path, user=long_id))
        yield Case("get", path, 404, missing, _send("get", path))
    wallet, sign, suspend = World.wallet, World.sign, World.suspend
    yield Case(
        "get",
        EVENTS,
        200,
        "first-page",
        _send("get", EVENTS, wallet, sign, suspend, query={"limit": 2}),
    )
    yield Case(
        "get", EVENTS, 400, "invalid-input", _send("get", EVENTS, wallet, query={"cursor": -1})
    )
    yield Case("get", EVENTS, 400, "invalid-input-path", _send("get", EVENTS, user=long_id))
    yield Case("get", EVENTS, 404, "wallet-not-found", _send("get", EVENTS))


def _registration_and_creation_cases() -> Iterator[Case]:
    with_id, without_id = _request("post", USERS, "with-id"), _request("post", USERS, "without-id")
    yield Case("post", USERS, 201, "user", _send("post", USERS, body=with_id))
    yield Case("post", USERS, 201, "generated-id", _send("post", USERS, body=without_id))
    yield Case("post", USERS, 200, "user", _send("post", USERS, World.user))
    too_long = {**with_id, "id": "x" * 129}
    yield Case("post", USERS, 400, "invalid-input", _send("post", USERS, body=too_long))
    taken_email = {**with_id, "id": OTHER_USER}
    yield Case(
        "post", USERS, 409, "email-taken", _send("post", USERS, World.user, body=taken_email)
    )
    taken_id = {**with_id, "email": "someone.else@example.com"}
    yield Case("post", USERS, 409, "id-taken", _send("post", USERS, World.user, body=taken_id))

    yield Case("post", CREATE, 201, "wallet", _send("post", CREATE, World.user))
    yield Case("post", CREATE, 200, "wallet", _send("post", CREATE, World.wallet))
    short_key = {"userId": USER, "encryptionKey": "too short"}
    yield Case(
        "post", CREATE, 400, "invalid-input", _send("post", CREATE, World.user, body=short_key)
    )
    yield Case("post", CREATE, 404, "user-not-found", _send("post", CREATE))
    other_key = {"userId": USER, "encryptionKey": WRONG_KEY}
    yield Case(
        "post",
        CREATE,
        409,
        "wallet-key-mismatch",
        _send("post", CREATE, World.wallet, body=other_key),
    )
    yield Case("post", CREATE, 500, "envelope-tampered", _send("post", CREATE, World.tamper))
    breaking = _send("post", CREATE, World.user, World.break_sealing)
    yield Case("post", CREATE, 500, "sealing-failed", breaking)


def _batch_cases() -> Iterator[Case]:
    """The documented batch: USER's wallet first (created), the other items as they come. What
    stops a batch is a failure of the service: no derivation slot for its one preparation, the
    key-management backend unreachable or refusing at the first sealing.
    """
    yield Case("post", BATCH, 200, "results", _send("post", BATCH, World.user))
    too_many = {**_request("post", BATCH), "items": [{"userId": USER}] * 101}
    yield Case("post", BATCH, 400, "invalid-input", _send("post", BATCH, body=too_many))
    busy = _send("post", BATCH, World.user, World.busy_deriving)
    yield Case("post", BATCH, 503, "busy", busy, BUSY)
    unreachable = _send("post", BATCH, World.user)
    yield Case("post", BATCH, 503, "kms-unavailable", unreachable, {"kms": UNREACHABLE_TRANSIT})
    refused = _send("post", BATCH, World.on_transit, World.user, World.transit_refusing)
    yield Case("post", BATCH, 500, "kms-refused", refused)


def _custody_cases() -> Iterator[Case]:
    for path, settings in ((SIGN, {}), (ROTATE, {}), (EXPORT, ALLOWED)):
        wrong_key: Json | Made = {**_request("post", path), "encryptionKey": WRONG_KEY}
        if path == SIGN:
            wrong_key = partial(_from_the_wallet, encryptionKey=WRONG_KEY)
        cases = [
            (403, "wrong-encryption-key", _send("post", path, World.wallet, body=wrong_key)),
            (404, "wallet-not-found", _send("post", path)),
            (423, "wallet-suspended", _send("post", path, World.wallet, World.suspend)),
            (500, "envelope-tampered", _send("post", path, World.tamper)),
        ]
        for status, name, send in cases:
            yield Case("post", path, status, name, send, settings)
    sign = _request("post", SIGN)
    yield Case("post", SIGN, 200, "signed", _send("post", SIGN, World.wallet))
    bad_xdr = {**sign, "transactionXdr": "bm90IGEgdHJhbnNhY3Rpb24="}
    yield Case(
        "post", SIGN, 400, "invalid-input-xdr", _send("post", SIGN, World.wallet, body=bad_xdr)
    )
    private = {**sign, "networkPassphrase": "A Private Network ; 2026"}
    yield Case(
        "post", SIGN, 400, "invalid-input-network", _send("post", SIGN, World.wallet, body=private)
    )
    data_entry = _send("post", SIGN, World.wallet, World.payments_policy, body=_data_entry)
    yield Case("post", SIGN, 403, "policy-violation", data_entry)

    yield Case("post", ROTATE, 200, "wallet", _send("post", ROTATE, World.wallet))
    short = {**_request("post", ROTATE), "newEncryptionKey": "too short"}
    yield Case(
        "post", ROTATE, 400, "invalid-input", _send("post", ROTATE, World.wallet, body=short)
    )
    breaking = _send("post", ROTATE, World.wallet, World.break_sealing)
    yield Case("post", ROTATE, 500, "sealing-failed", breaking)

    yield Case("post", EXPORT, 200, "sealed", _send("post", EXPORT, World.wallet), ALLOWED)
    bad_recipient = {**_request("post", EXPORT), "recipientPublicKey": "AAAA"}
    send = _send("post", EXPORT, World.wallet, body=bad_recipient)
    yield Case("post", EXPORT, 400, "invalid-input", send, ALLOWED)
    yield Case("post", EXPORT, 403, "export-disabled", _send("post", EXPORT, World.wallet))

    yield Case("post", SUSPEND, 200, "suspended", _send("post", SUSPEND, World.wallet))
    yield Case("post", SUSPEND, 404, "wallet-not-found", _send("post", SUSPEND))
    yield Case("post", RESUME, 200, "wallet", _send("post", RESUME, World.wallet, World.suspend))
    yield Case("post", RESUME, 404, "wallet-not-found", _send("post", RESUME))


def _data_entry(world: World, user: str) -> Json:
    """A sign request for a manageData operation (operation 0) from the user's wallet: not one
    of the operations the documented payments policy allows.
    """
    builder = TransactionBuilder(Account(world.public_keys[user], 1), NETWORK, base_fee=FEE)
    builder.append_manage_data_op("note", "from the wallet").add_time_bounds(0, 0)
    return {**_request("post", SIGN), "transactionXdr": builder.build().to_xdr()}


def _policy_cases() -> Iterator[Case]:
    """USER's wallet's policy: the built-in one, or the documented payments policy of its own."""
    wallet, own = World.wallet, World.payments_policy
    yield Case("get", POLICY, 200, "own", _send("get", POLICY, wallet, own))
    yield Case("get", POLICY, 200, "built-in", _send("get", POLICY, wallet))
    yield Case("put", POLICY, 200, "own", _send("put", POLICY, wallet))
    yield Case("delete", POLICY, 200, "built-in", _send("delete", POLICY, wallet, own))
    for method in ("get", "put", "delete"):
        yield Case(method, POLICY, 400, "invalid-input-path", _send(method, POLICY, user=LONG_ID))
        yield Case(method, POLICY, 404, "wallet-not-found", _send(method, POLICY))
    misspelt = _send("put", POLICY, wallet, body={"allowedOperation": ["payment"]})
    yield Case("put", POLICY, 400, "invalid-input-member", misspelt)
    unknown = _send("put", POLICY, wallet, body={"allowedOperations": ["pay"]})
    yield Case("put", POLICY, 400, "invalid-input-policy", unknown)


def _inspection_cases() -> Iterator[Case]:
    inspect = _request("post", INSPECT)
    yield Case("post", INSPECT, 200, "fee-bump", _send("post", INSPECT))
    bodies = {
        "invalid-input-xdr": {**inspect, "transactionXdr": "bm90IGEgdHJhbnNhY3Rpb24="},
        "invalid-input-network": {**inspect, "networkPassphrase": "A Private Network ; 2026"},
        "invalid-input-signers": {**inspect, "signers": [inspect["signers"][0]] * 2},
        "invalid-input": {**inspect, "thresholds": {"low": 1, "medium": 2, "high": 256}},
    }
    for name, body in bodies.items():
        yield Case("post", INSPECT, 400, name, _send("post", INSPECT, body=body))


def _on_the_network(
    who: str,
    xlm: str = "100",
    *,
    signers: Mapping[str, int] | None = None,
    thresholds: tuple[int, int, int] | None = None,
) -> Step:
    """The account of `who` (a user whose wallet a step made, or a public key) on the network,
    with `xlm`, and besides its master key `signers`, and `thresholds` (low, medium, high).
    """

    async def step(world: World) -> None:
        account = world.network().fund(world.public_keys.get(who, who), xlm)
        account.signers.update(signers or {})
        account.thresholds = list(thresholds or (0, 0, 0))

    return step


def _known_as(public_key: str) -> Step:
    """USER's wallet, recorded under `public_key` rather than its own (in the in-memory store):
    what is read before the wallet is opened then names that key.
    """

    async def step(world: World) -> None:
        store = world.container.memory_store()
        wallet = store.wallets_by_user[USER]
        store.public_keys.discard(wallet.public_key)
        store.wallets_by_user[USER] = replace(wallet, public_key=public_key)
        store.public_keys.add(public_key)

    return step


async def _unreachable_next(world: World) -> None:
    """The next submission gets no answer: the connection is closed."""
    world.network().fail_next("unreachable")


def _changed(body: Json, **changes: Any) -> Json:
    """`body` with `changes`; a change to None leaves the member out."""
    changed = {**body, **changes}
    return {name: value for name, value in changed.items() if value is not None}


OTHER_NETWORK = "A Private Network ; 2026"
PUBLIC_NETWORK = "Public Global Stellar Network ; September 2015"
"""Allowed (WALLET_NETWORKS), but not the Horizon stand-in's."""
ACCOUNT = examples.ACTIVATED_EXAMPLE.public_key
"""The account of the examples' activation: the one they say exists already."""
LONG_ID = "x" * 129
_VALID_ISSUER = ACTIVATION["trustlines"][0]["issuer"]
NOT_A_KEY = _VALID_ISSUER[:-1] + ("A" if _VALID_ISSUER[-1] != "A" else "B")
"""Shaped like an account key, but its checksum is wrong."""
CO_SIGNERS = [Keypair.random().public_key for _ in range(3)]
FEE = 100  # stroops per operation, as the examples bid


def _xlm(stroops: int) -> str:
    return f"{stroops // STROOPS}.{stroops % STROOPS:07d}"


def _activation_cases() -> Iterator[Case]:
    """USER's activation, sponsored by the treasury's wallet unless the body says otherwise."""

    def case(status: int, name: str, *given: Step, body: Json = ACTIVATION) -> Case:
        return Case("post", ACTIVATE, status, name, _send("post", ACTIVATE, *given, body=body))

    ready = World.wallets
    yield case(200, "signed", ready)
    yield Case("post", ACTIVATE, 400, "invalid-input-path", _send("post", ACTIVATE, user=LONG_ID))
    line = ACTIVATION["trustlines"][0]
    long_code = _changed(ACTIVATION, trustlines=[{**line, "code": "USDC" * 4}])
    yield case(400, "invalid-input", ready, body=long_code)
    bad_issuer = _changed(ACTIVATION, trustlines=[{**line, "issuer": NOT_A_KEY}])
    yield case(400, "invalid-input-trustlines", ready, body=bad_issuer)
    itself = _changed(ACTIVATION, sponsor={"userId": USER, "encryptionKey": KEY})
    yield case(400, "invalid-input-sponsor", ready, body=itself)
    no_sequence = _changed(ACTIVATION, sponsorSequence=None)
    yield case(400, "invalid-input-sequence", ready, body=no_sequence)
    other_network = _changed(ACTIVATION, networkPassphrase=OTHER_NETWORK)
    yield case(400, "invalid-input-network", ready, body=other_network)
    yield case(400, "invalid-input-submit", ready, body=SUBMITTED_ACTIVATION)
    wrong_key = _changed(ACTIVATION, encryptionKey=WRONG_KEY)
    yield case(403, "wrong-encryption-key", ready, body=wrong_key)
    wrong_sponsor_key = _changed(
        ACTIVATION, sponsor={"userId": TREASURY, "encryptionKey": WRONG_KEY}
    )
    yield case(403, "wrong-sponsor-key", ready, body=wrong_sponsor_key)
    yield case(403, "policy-violation", ready, World.payments_policy)
    yield case(404, "wallet-not-found", World.treasury)
    yield case(423, "wallet-suspended", ready, World.suspend)
    yield case(500, "envelope-tampered", World.tamper, World.treasury)


def _activation_submission_cases() -> Iterator[Case]:
    """USER's activation sent to the network: sponsored by the treasury's wallet, funded there,
    unless the body says otherwise.
    """

    def case(status: int, name: str, *given: Step, body: Json = SUBMITTED_ACTIVATION) -> Case:
        on_network = (World.wallets, World.on_the_network, *given)
        return Case("post", ACTIVATE, status, name, _send("post", ACTIVATE, *on_network, body=body))

    funded = _on_the_network(TREASURY)
    yield case(200, "submitted", funded)
    # The examples' sponsor sequence is not the funded account's.
    yield case(409, "bad-sequence", funded, body=_changed(ACTIVATION, submit=True))
    # The sponsor's spare XLM, once the fee is paid, covers the new account's two reserves but
    # not its trustline's: its ChangeTrust gets op_low_reserve.
    reserves = BASE_RESERVE
    operations = 3 + len(SUBMITTED_ACTIVATION["trustlines"])
    spare = 2 * reserves + reserves // 2
    underfunded = _on_the_network(TREASURY, _xlm(2 * reserves + FEE * operations + spare))
    yield case(422, "insufficient-funds", underfunded)
    elsewhere = _changed(SUBMITTED_ACTIVATION, sponsor=ELSEWHERE["sponsor"])
    yield case(422, "account-not-on-network", body=elsewhere)  # no such sponsor there
    # A sponsor held elsewhere, on the network, but it has not signed.
    yield case(502, "network-rejected", _on_the_network(SPONSOR_ELSEWHERE), body=elsewhere)
    yield case(503, "network-unavailable", funded, _unreachable_next)
    # The account activated already: refused before anything is signed. The documented key is
    # not the wallet's (whose key is random): the wallet is recorded under it.
    activated = (_known_as(ACCOUNT), _on_the_network(ACCOUNT))
    yield case(409, "account-exists", funded, *activated)
    public = _changed(SUBMITTED_ACTIVATION, networkPassphrase=PUBLIC_NETWORK)
    yield case(400, "invalid-input-network-mismatch", funded, body=public)


def _signer_cases() -> Iterator[Case]:
    """A co-signer added to USER's account, 2 of 2, unless the body says otherwise."""

    def case(status: int, name: str, *given: Step, body: Json = SIGNER_CHANGE) -> Case:
        return Case("post", SIGNERS, status, name, _send("post", SIGNERS, *given, body=body))

    ready = World.wallet
    yield case(200, "signed", ready)
    yield Case("post", SIGNERS, 400, "invalid-input-path", _send("post", SIGNERS, user=LONG_ID))
    heavy = _changed(SIGNER_CHANGE, add=[{**SIGNER_CHANGE["add"][0], "weight": 256}])
    yield case(400, "invalid-input", ready, body=heavy)
    not_a_key = _changed(SIGNER_CHANGE, add=[{**SIGNER_CHANGE["add"][0], "key": NOT_A_KEY}])
    yield case(400, "invalid-input-signers", ready, body=not_a_key)
    yield case(400, "invalid-input-sequence", ready, body=_changed(SIGNER_CHANGE, sequence=None))
    alone = _changed(SIGNER_CHANGE, add=[])  # the master key alone, weight 1, high threshold 2
    yield case(400, "lockout", ready, body=alone)
    other_network = _changed(SIGNER_CHANGE, networkPassphrase=OTHER_NETWORK)
    yield case(400, "invalid-input-network", ready, body=other_network)
    yield case(400, "invalid-input-submit", ready, body=_changed(SIGNER_CHANGE, submit=True))
    wrong_key = _changed(SIGNER_CHANGE, encryptionKey=WRONG_KEY)
    yield case(403, "wrong-encryption-key", ready, body=wrong_key)
    yield case(403, "policy-violation", ready, World.payments_policy)
    yield case(404, "wallet-not-found")
    yield case(423, "wallet-suspended", ready, World.suspend)
    yield case(500, "envelope-tampered", World.tamper)


def _signer_submission_cases() -> Iterator[Case]:
    """The change sent to the network, its sequence read there unless the body gives one; the
    account funded there unless a case says otherwise.
    """
    submitted = _changed(SIGNER_CHANGE, sequence=None, submit=True)

    def case(status: int, name: str, *given: Step, body: Json = submitted) -> Case:
        on_network = (World.wallet, World.on_the_network, *given)
        return Case("post", SIGNERS, status, name, _send("post", SIGNERS, *on_network, body=body))

    funded = _on_the_network(USER)
    # The examples' sequence is not the funded account's.
    yield case(409, "bad-sequence", funded, body=_changed(SIGNER_CHANGE, submit=True))
    # The documented key is not the wallet's (whose key is random): the wallet is recorded
    # under it. The sequence is read before the wallet is opened.
    yield case(422, "account-not-on-network", _known_as(SPONSOR_ELSEWHERE))
    # An account with a co-signer already: the master weight, the thresholds, two co-signers
    # added and the one it has re-weighed. Its spare XLM, once the fee is paid, covers one new
    # signer's reserve: the second gets op_low_reserve.
    current, first, second = CO_SIGNERS
    reserves = BASE_RESERVE
    growing = _changed(
        submitted,
        currentSigners=[{"key": current, "weight": 1}],
        add=[
            {"key": first, "weight": 1},
            {"key": second, "weight": 1},
            {"key": current, "weight": 2},
        ],
    )
    balance = _xlm(3 * reserves + FEE * 4 + reserves * 3 // 2)
    yield case(
        422,
        "insufficient-funds",
        _on_the_network(USER, balance, signers={current: 1}),
        body=growing,
    )
    # Already 2 of 2 on the network: the wallet's signature alone is not enough.
    two_of_two = _on_the_network(USER, signers={current: 1}, thresholds=(2, 2, 2))
    guarded = _changed(
        submitted,
        currentSigners=[{"key": current, "weight": 1}],
        currentThresholds={"low": 2, "medium": 2, "high": 2},
    )
    yield case(502, "network-rejected", two_of_two, body=guarded)
    yield case(503, "network-unavailable", funded, _unreachable_next)
    public = _changed(submitted, networkPassphrase=PUBLIC_NETWORK)
    yield case(400, "invalid-input-network-mismatch", funded, body=public)


def _key_use_cases() -> Iterator[Case]:
    """What every operation that stretches the caller's key and wraps or unwraps the wallet's
    share can answer: no derivation slot, and the key-management backend unreachable, refusing,
    or not holding the key that wrapped the wallet's share.
    """
    # A creation wraps a new wallet's share; the other operations unwrap an existing one's.
    unreachable = _send("post", CREATE, World.user)  # the deployment's setting from the start
    yield Case("post", CREATE, 503, "kms-unavailable", unreachable, {"kms": UNREACHABLE_TRANSIT})
    readying: dict[str, Step] = {CREATE: World.user, ACTIVATE: World.wallets}
    for path in (CREATE, SIGN, ROTATE, EXPORT, ACTIVATE, SIGNERS):
        settings = SETTINGS.get(("post", path), {})
        ready = readying.get(path, World.wallet)
        busy = _send("post", path, ready, World.busy_deriving)
        yield Case("post", path, 503, "busy", busy, {**settings, **BUSY})
        if path != CREATE:
            gone = _send("post", path, World.on_transit, ready, World.transit_unreachable)
            yield Case("post", path, 503, "kms-unavailable", gone, settings)
        refused = _send("post", path, World.on_transit, ready, World.transit_refusing)
        yield Case("post", path, 500, "kms-refused", refused, settings)
        new_key = World.on_a_new_memory_key
        made = World.wallets if path == ACTIVATE else World.wallet  # a creation replays
        mismatch = _send("post", path, new_key, made, new_key)
        yield Case("post", path, 500, "kms-key-mismatch", mismatch, settings)


def _metrics_cases() -> Iterator[Case]:
    yield Case("get", "/metrics", 200, "metrics", _send("get", "/metrics"))


def _health_cases() -> Iterator[Case]:
    yield Case("get", "/health", 200, "ok", _send("get", "/health", headers={}))
    yield Case("get", "/ready", 200, "ready", _send("get", "/ready", headers={}))
    unreachable = _send("get", "/ready", headers={})
    yield Case("get", "/ready", 503, "database-unavailable", unreachable, database_url=UNREACHABLE)


def _escrow_cases() -> Iterator[Case]:
    wallet = World.wallet
    yield Case("get", ESCROW, 200, "escrow", _send("get", ESCROW, wallet), RECOVERY)
    yield Case("get", ESCROW, 400, "invalid-input-path", _send("get", ESCROW, user=LONG_ID))
    yield Case("get", ESCROW, 404, "wallet-not-found", _send("get", ESCROW), RECOVERY)
    # Made while no recovery key was configured.
    yield Case("get", ESCROW, 404, "escrow-not-found", _send("get", ESCROW, wallet))


CASES = [
    *_common_cases(),
    *_idempotency_cases(),
    *_escrow_cases(),
    *_reading_cases(),
    *_registration_and_creation_cases(),
    *_batch_cases(),
    *_custody_cases(),
    *_policy_cases(),
    *_inspection_cases(),
    *_activation_cases(),
    *_activation_submission_cases(),
    *_signer_cases(),
    *_signer_submission_cases(),
    *_key_use_cases(),
    *_health_cases(),
    *_metrics_cases(),
]


def test_every_documented_response_example_has_a_case() -> None:
    cases = [(case.method, case.path, case.status, case.example) for case in CASES]
    assert len(cases) == len(set(cases))
    assert {(e.method, e.path, e.status, e.name) for e in RESPONSE_EXAMPLES} == set(cases)


KNOWN_BUGS: dict[tuple[str, str, int, str], str] = {}
"""Cases the server and the document disagree on, by (method, path, status, example)."""


def _params(cases: list[Case]) -> Iterator[Any]:
    for case in cases:
        bug = KNOWN_BUGS.get((case.method, case.path, case.status, case.example))
        marks = [] if bug is None else [pytest.mark.xfail(strict=True, reason=bug)]
        yield pytest.param(case, marks=marks, id=str(case))


@pytest.mark.parametrize("case", list(_params(CASES)))
async def test_the_server_sends_what_the_document_shows(
    case: Case, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(case.database_url, **case.settings)
    # In memory there is nothing to migrate; the unreachable database cannot be migrated.
    # What a step started (a Horizon stand-in) stops once the app and its clients are closed.
    with ExitStack() as exits:
        async with (
            open_container(settings, apply_migrations=False) as container,
            http_client(container) as client,
        ):
            world = World(client, container, request.config, exits)
            response = await case.send(world)
            await world.settle()
    documented = next(
        example
        for example in RESPONSE_EXAMPLES
        if (example.method, example.path, example.status, example.name)
        == (case.method, case.path, case.status, case.example)
    )
    assert response.status_code == case.status, response.text
    media_type = documented.media_type.split(";")[0]
    assert response.headers["content-type"].split(";")[0] == media_type
    if media_type == "text/plain":  # the Prometheus exposition
        shown = re.findall(r"^# TYPE (\S+) (\S+)$", documented.value, re.MULTILINE)
        assert shown
        assert set(shown) <= set(re.findall(r"^# TYPE (\S+) (\S+)$", response.text, re.MULTILINE))
        return
    body = response.json()
    _validate(body, documented.schema)
    if documented.media_type == PROBLEM_JSON:
        assert body == documented.value  # the example is what the server says, word for word
        if _rows()[case.status, body["type"]].retry_after:
            assert int(response.headers["retry-after"]) >= 1
    else:
        assert _shape(body) == _shape(documented.value)


def _shape(value: Any) -> Any:
    """A JSON value's members and their types, recursively, without the values themselves."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__
