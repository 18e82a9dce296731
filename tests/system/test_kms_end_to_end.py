"""The key-management backends end to end: a real `serve` process over HTTP, each backend real
(a SoftHSM2 token, an OpenBao server), its key made by `wallet-orchestrator kms init` and
rotated, rewrapped and upgraded by the other `kms` commands, run as the operator would run
them: as processes, while the service answers.

One service per backend (SQLite) is shared by the lifecycle and the rewrap tests; the outage
test has an OpenBao and a PostgreSQL database of its own. Without softhsm2 or bao the tests of
that backend are skipped, and failed under CI=true.
"""

import asyncio
import base64
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx
import pytest
from nacl.public import PrivateKey, SealedBox
from sqlalchemy import select
from stellar_sdk import Keypair

from adapters.sql.engine import create_engine
from adapters.sql.tables import wallets
from harness.openbao import OpenBaoServer, openbao
from harness.servers import ROOT, ServerProcess
from tests.conftest import fresh_postgres_database
from tests.kms_pkcs11 import FRESH_TOKEN, softhsm
from tests.kms_transit import require_bao, shared_server
from tests.support import AUTH, KEY, OTHER_KEY, TOKEN, payment_from

FAST_KDF = {"WALLET_KDF_MEMORY_KIB": "64", "WALLET_KDF_ITERATIONS": "1"}
PROBLEMS = "https://wallet-orchestrator.dev/problems/"
TESTNET = "Test SDF Network ; September 2015"
CLI_TIMEOUT_SECONDS = 120
MAX_EVENT_PAGES = 100
NEWEST = re.compile(r"newest version (\S+);")
DB_TIMEOUT_SECONDS = 2.0
SLACK_SECONDS = 2.0
"""How much later than WALLET_DB_TIMEOUT an answer may come on a loaded 2-core machine."""


# -- backends, the CLI and the service ------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """WALLET_KMS and its settings for one backend, and the secrets that must never be shown."""

    name: str
    key_label: str
    env: dict[str, str]
    secrets: tuple[str, ...]


def _clean_environment() -> dict[str, str]:
    """This process's environment without any configuration of the service or of a backend."""
    prefixes = ("WALLET_", "BAO_", "VAULT_", "DATABASE_URL")
    return {name: value for name, value in os.environ.items() if not name.startswith(prefixes)}


def _cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", *args]


def _cli_env(database_url: str, env: dict[str, str]) -> dict[str, str]:
    return {**_clean_environment(), "DATABASE_URL": database_url, **FAST_KDF, **env}


def cli(database_url: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`wallet-orchestrator <args>` as a process on `database_url`, configured by `env`."""
    return subprocess.run(
        _cli_command(*args),
        cwd=ROOT,
        env=_cli_env(database_url, env),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )


async def cli_async(database_url: str, env: dict[str, str], *args: str) -> tuple[int, str]:
    """`cli`, awaited without blocking the event loop; its exit code and standard error."""
    process = await asyncio.create_subprocess_exec(
        *_cli_command(*args),
        cwd=ROOT,
        env=_cli_env(database_url, env),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT_SECONDS)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


@contextmanager
def serving(database_url: str, log: Path, env: dict[str, str]) -> Iterator[ServerProcess]:
    """`serve` (one worker) on `database_url` accepting the tests' token, configured by `env`
    alone (nothing of this process's WALLET_* settings), stopped on exit whatever happened."""
    server = ServerProcess({**_cli_env(database_url, env), "WALLET_API_TOKENS": TOKEN}, log).start()
    try:
        yield server
    finally:
        server.stop()


def kms_init(database_url: str, backend: Backend) -> None:
    done = cli(database_url, backend.env, "kms", "init")
    assert done.returncode == 0, done.stderr
    assert f"{backend.name} key {backend.key_label!r}" in done.stderr


def pkcs11_backend(
    config: pytest.Config, token_label: str | None = None, pin: str | None = None
) -> Backend:
    """A token of the run's SoftHSM2 (tests/kms_pkcs11.py), a key label of its own."""
    hsm = softhsm(config)
    label = f"e2e-{secrets.token_hex(4)}"
    env = {
        "WALLET_KMS": "pkcs11",
        "WALLET_PKCS11_MODULE": hsm.module_path,
        "WALLET_PKCS11_TOKEN_LABEL": token_label or hsm.token_label,
        "WALLET_PKCS11_PIN": pin or hsm.pin,
        "WALLET_PKCS11_KEY_LABEL": label,
        **hsm.environment,
    }
    return Backend("pkcs11", label, env, (pin or hsm.pin, hsm.pin, hsm.so_pin))


def transit_backend(server: OpenBaoServer) -> Backend:
    """A key name of its own on `server`, and a token holding only the wallets' policy on it."""
    key_name = f"e2e-{secrets.token_hex(4)}"
    token = server.wallet_token(key_name)
    env = {
        "WALLET_KMS": "transit",
        "WALLET_TRANSIT_ADDR": server.addr,
        "WALLET_TRANSIT_TOKEN": token,
        "WALLET_TRANSIT_MOUNT": server.mount,
        "WALLET_TRANSIT_KEY": key_name,
    }
    return Backend("transit", key_name, env, (token, server.root_token))


@dataclass
class Service:
    """A running `serve` with a backend, and the caller key of every wallet made through it."""

    server: ServerProcess
    backend: Backend
    database_url: str
    keys: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def pkcs11(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    """A pkcs11 backend whose key `kms init` has made."""
    backend = pkcs11_backend(request.config)
    kms_init(f"sqlite:///{tmp_path_factory.mktemp('pkcs11-init')}/init.db", backend)
    return backend


@pytest.fixture(scope="module")
def transit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    """A transit backend (the run's OpenBao) whose key `kms init` has made."""
    require_bao()
    backend = transit_backend(shared_server(request.config))
    kms_init(f"sqlite:///{tmp_path_factory.mktemp('transit-init')}/init.db", backend)
    return backend


@pytest.fixture(scope="module", params=["pkcs11", "transit"])
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """`serve` (export allowed) on a SQLite file of its own, for each backend in turn."""
    backend: Backend = request.getfixturevalue(request.param)
    home = tmp_path_factory.mktemp(f"kms-{backend.name}")
    database_url = f"sqlite:///{home}/wallets.db"
    env = {**FAST_KDF, **backend.env, "WALLET_ALLOW_EXPORT": "true"}
    with serving(database_url, home / "server.log", env) as server:
        yield Service(server, backend, database_url)


# -- HTTP, one answer at a time and under load ------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One request sent and what came back (status 0: no answer at all)."""

    kind: str
    user_id: str
    started: float
    finished: float
    status: int
    body: dict[str, object] | None
    retry_after: str | None

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def problem(self) -> str | None:
        kind = (self.body or {}).get("type")
        return kind.removeprefix(PROBLEMS) if isinstance(kind, str) else None


class Traffic:
    """Requests to one service, every answer kept in order of arrival."""

    def __init__(self, base_url: str, connections: int = 8) -> None:
        limits = httpx.Limits(max_connections=connections)
        self._client = httpx.AsyncClient(
            base_url=base_url, headers=AUTH, limits=limits, timeout=30.0
        )
        self.answers: list[Answer] = []
        self._public_keys: dict[str, str] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def _send(
        self, kind: str, user_id: str, method: str, path: str, json: dict[str, str] | None = None
    ) -> Answer:
        started = time.monotonic()
        try:
            response = await self._client.request(method, path, json=json)
        except httpx.TransportError:
            answer = Answer(kind, user_id, started, time.monotonic(), 0, None, None)
        else:
            body = response.json() if response.content else None
            retry_after = response.headers.get("retry-after")
            answer = Answer(
                kind, user_id, started, time.monotonic(), response.status_code, body, retry_after
            )
            if isinstance(public_key := (body or {}).get("publicKey"), str):
                self._public_keys[user_id] = public_key
        self.answers.append(answer)
        return answer

    async def _public_key(self, user_id: str) -> str:
        """The wallet's public key: from an answer that showed it, else read (not recorded)."""
        if user_id not in self._public_keys:
            read = await self._client.get(f"/wallets/user/{user_id}")
            assert read.status_code == 200, read.text
            self._public_keys[user_id] = read.json()["publicKey"]
        return self._public_keys[user_id]

    async def register(self, user_ids: list[str]) -> None:
        async def one(user_id: str) -> int:
            body = {"email": f"{user_id}@example.com", "id": user_id}
            return (await self._send("register", user_id, "POST", "/users", json=body)).status

        assert set(await asyncio.gather(*map(one, user_ids))) <= {200, 201}

    async def create(self, user_id: str, key: str) -> Answer:
        body = {"userId": user_id, "encryptionKey": key}
        return await self._send("create", user_id, "POST", "/wallets/create-user-wallet", json=body)

    async def sign(self, user_id: str, key: str) -> Answer:
        """A payment from the user's wallet: a wallet signs only what is its own."""
        xdr = payment_from(await self._public_key(user_id), network=TESTNET)
        body = {"encryptionKey": key, "transactionXdr": xdr, "networkPassphrase": TESTNET}
        return await self._send("sign", user_id, "POST", f"/wallets/user/{user_id}/sign", json=body)

    async def read(self, user_id: str) -> Answer:
        return await self._send("read", user_id, "GET", f"/wallets/user/{user_id}")

    async def events(self, user_id: str) -> list[str]:
        """The types of the wallet's whole audit trail, oldest first, page after page."""
        types: list[str] = []
        cursor: object = None
        for _ in range(MAX_EVENT_PAGES):
            query = "?limit=100" + ("" if cursor is None else f"&cursor={cursor}")
            path = f"/wallets/user/{user_id}/events{query}"
            answer = await self._send("events", user_id, "GET", path)
            assert answer.status == 200, answer
            assert answer.body is not None
            listed, cursor = answer.body["events"], answer.body["nextCursor"]
            assert isinstance(listed, list)
            types += [event["type"] for event in listed]
            if cursor is None:
                return types
        raise AssertionError(f"{user_id}: over {MAX_EVENT_PAGES} pages of events")

    async def post(self, user_id: str, action: str, body: dict[str, str]) -> Answer:
        return await self._send(
            action, user_id, "POST", f"/wallets/user/{user_id}/{action}", json=body
        )

    async def keep_sending(
        self,
        request: Callable[[], Awaitable[Answer]],
        stop: asyncio.Event,
        *,
        senders: int,
        max_requests: int,
        seconds: float,
    ) -> None:
        """`request` from `senders` concurrent loops until `stop` is set, `seconds` have passed
        or `max_requests` were sent, whichever comes first."""
        deadline = time.monotonic() + seconds
        sent = 0

        async def loop() -> None:
            nonlocal sent
            while not stop.is_set() and time.monotonic() < deadline and sent < max_requests:
                sent += 1
                await request()

        await asyncio.gather(*(loop() for _ in range(senders)))


async def stored_envelopes(database_url: str) -> dict[str, str]:
    """Every wallet's envelope, by user id, read from the database itself."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(select(wallets.c.userId, wallets.c.encryptedKey))
            ).all()
    finally:
        await engine.dispose()
    return {row.userId: row.encryptedKey for row in rows}


def v2_fields(envelope: str) -> tuple[str, str]:
    """A v2 envelope's backend and key ref:
    wo2$argon2id$<params>$<salt>$<check>$<backend>$<key ref>$….
    """
    match = re.match(r"wo2\$argon2id\$m=64,t=1,p=1\$[^$]+\$[^$]+\$([a-z0-9]+)\$([^$]+)\$", envelope)
    assert match is not None, envelope[:80]
    return match.group(1), match.group(2)


async def assert_opens(traffic: Traffic, user_id: str, key: str) -> None:
    """The wallet opens with its key: a creation replay answers 200, a signature 200."""
    replay, signed = await traffic.create(user_id, key), await traffic.sign(user_id, key)
    assert (replay.status, signed.status) == (200, 200), (user_id, replay, signed)


# -- a. the whole lifecycle --------------------------------------------------------------------


def _kms_calls(metrics: str) -> dict[tuple[str, str], float]:
    found = re.findall(
        r'^wallet_kms_calls_total\{operation="(\w+)",outcome="(\w+)"\} (\S+)$',
        metrics,
        re.MULTILINE,
    )
    return {(operation, outcome): float(value) for operation, outcome, value in found}


async def test_create_replay_sign_rotate_export_over_http(service: Service) -> None:
    user, new_key = f"life-{service.backend.name}", "the next caller key, 16+ chars"
    recipient = PrivateKey.generate()
    async with Traffic(service.server.base_url) as traffic:
        await traffic.register([user])
        created = await traffic.create(user, KEY)
        assert created.status == 201, created
        service.keys[user] = KEY
        backend, _ = v2_fields((await stored_envelopes(service.database_url))[user])
        assert backend == service.backend.name
        replay = await traffic.create(user, KEY)
        assert (replay.status, replay.body) == (200, created.body)
        assert (await traffic.sign(user, KEY)).status == 200
        body = {"encryptionKey": KEY, "newEncryptionKey": new_key}
        rotated = await traffic.post(user, "rotate-key", body)
        assert (rotated.status, rotated.body) == (200, created.body), rotated
        service.keys[user] = new_key
        old = await traffic.sign(user, KEY)
        assert (old.status, old.problem) == (403, "wrong-encryption-key"), old
        assert (await traffic.sign(user, new_key)).status == 200
        recipient_key = base64.b64encode(bytes(recipient.public_key)).decode()
        body = {"encryptionKey": new_key, "recipientPublicKey": recipient_key}
        exported = await traffic.post(user, "export", body)
    assert exported.status == 200, exported
    assert exported.body is not None
    sealed = base64.b64decode(str(exported.body["sealedSecret"]))
    seed = SealedBox(recipient).decrypt(sealed)
    assert created.body is not None
    assert Keypair.from_raw_ed25519_seed(seed).public_key == created.body["publicKey"]
    metrics = httpx.get(f"{service.server.base_url}/metrics", headers=AUTH, timeout=10).text
    calls = _kms_calls(metrics)
    assert calls.get(("wrap", "ok"), 0) >= 2, calls  # the creation's, the rotation's
    assert calls.get(("unwrap", "ok"), 0) >= 5, calls  # self-checks, replay, signs, rotation
    assert not {pair for pair in calls if pair[1] != "ok" and calls[pair]}, calls


# -- c. the backend's key rotated and every wallet rewrapped, under load -------------------------


async def test_kms_rotate_and_rewrap_while_serving(service: Service) -> None:
    users = [f"rewrap-{service.backend.name}-{n:02d}" for n in range(30)]
    async with Traffic(service.server.base_url, connections=3) as traffic:
        await traffic.register(users)
        made = await asyncio.gather(*(traffic.create(user, OTHER_KEY) for user in users))
        assert {answer.status for answer in made} == {201}
        service.keys.update(dict.fromkeys(users, OTHER_KEY))
        before = {v2_fields(e)[1] for e in (await stored_envelopes(service.database_url)).values()}
        load_from = len(traffic.answers)

        async def sign_or_replay() -> Answer:
            user = secrets.choice(users)
            if secrets.randbelow(2):
                return await traffic.sign(user, OTHER_KEY)
            return await traffic.create(user, OTHER_KEY)

        stop = asyncio.Event()
        load = asyncio.create_task(
            traffic.keep_sending(sign_or_replay, stop, senders=3, max_requests=5000, seconds=90)
        )
        env = service.backend.env
        rotated = await cli_async(service.database_url, env, "kms", "rotate")
        rewrap_from = time.monotonic()
        rewrapped = await cli_async(service.database_url, env, "kms", "rewrap", "--batch-size", "5")
        rewrap_until = time.monotonic()
        stop.set()
        await load
        assert rotated[0] == 0, rotated[1]
        assert rewrapped[0] == 0, rewrapped[1]
        newest = NEWEST.search(rotated[1])
        assert newest is not None, rotated[1]
        under_load = traffic.answers[load_from:]
        statuses = {answer.status for answer in under_load}
        assert statuses == {200}, [a for a in under_load if a.status != 200][:3]
        assert any(rewrap_from <= a.started <= rewrap_until for a in under_load)
        envelopes = await stored_envelopes(service.database_url)
        assert newest.group(1) not in before
        assert {v2_fields(envelope)[1] for envelope in envelopes.values()} == {newest.group(1)}
        for user in envelopes:
            assert "rewrapped" in await traffic.events(user), user
            await assert_opens(traffic, user, service.keys[user])
    print(f"\nrewrap ({service.backend.name}): {len(under_load)} requests, all 200")  # noqa: T201


# -- b. transit: the backend killed, paused and sealed under load --------------------------------

OUTAGE_USERS = [f"outage-{n:02d}" for n in range(60)]
SETTLE_SECONDS = 1.0
"""After the backend is back, how long answers already on their way may still fail."""
KEY_USING = frozenset({"create", "sign"})


@dataclass(frozen=True)
class Outage:
    """The backend was cut at `began`, its restoration started at `restoring`, and it was back
    (started and unsealed, or resumed) at `ended`."""

    name: str
    began: float
    restoring: float
    ended: float


READ_PAUSE_SECONDS = 0.05


async def _outages_under_load(traffic: Traffic, bao: OpenBaoServer) -> list[Outage]:
    """Creations, signatures and reads from 4 senders, and reads from one more, while the backend
    is killed then started again on its port, and paused then resumed; bounded by count and
    time."""
    owners = OUTAGE_USERS[:8]
    made = await asyncio.gather(*(traffic.create(user, KEY) for user in owners))
    assert {answer.status for answer in made} == {201}

    async def mixed() -> Answer:
        roll = secrets.randbelow(4)
        if roll == 0:
            return await traffic.read(secrets.choice(owners))
        if roll == 1:
            return await traffic.sign(secrets.choice(owners), KEY)
        return await traffic.create(secrets.choice(OUTAGE_USERS), KEY)

    async def paced_read() -> Answer:
        """Reads of their own, so that every outage sees some (the mixed senders may all be
        waiting on the backend at once)."""
        answer = await traffic.read(secrets.choice(owners))
        await asyncio.sleep(READ_PAUSE_SECONDS)
        return answer

    stop = asyncio.Event()
    load = asyncio.gather(
        # Enough to last through both outages (about 19 s): at 6,000, a fast run had sent them
        # all before the pause began, and the pause saw no key-using request at all.
        traffic.keep_sending(mixed, stop, senders=4, max_requests=40_000, seconds=60),
        traffic.keep_sending(paced_read, stop, senders=1, max_requests=2000, seconds=60),
    )
    outages = []
    for name, cut, restore in (("kill", bao.kill, bao.start), ("pause", bao.pause, bao.resume)):
        await asyncio.sleep(SETTLE_SECONDS + 1.5)
        await asyncio.to_thread(cut)
        began = time.monotonic()
        # Long enough that requests begun after the cut also end (503) before the restore, even
        # on a loaded machine (at +1.5 s a paused run once saw none end in the window).
        await asyncio.sleep(DB_TIMEOUT_SECONDS + 3.5)
        restoring = time.monotonic()
        await asyncio.to_thread(restore)
        outages.append(Outage(name, began, restoring, time.monotonic()))
    await asyncio.sleep(SETTLE_SECONDS + 1.5)
    stop.set()
    await load
    return outages


def _assert_outage_answered(answers: list[Answer], outage: Outage, back_until: float) -> None:
    """While the backend was gone: key-using requests 503 kms-unavailable with Retry-After,
    within about WALLET_DB_TIMEOUT, reads 200; once it was back: only successes."""
    during = [a for a in answers if a.started >= outage.began and a.finished <= outage.restoring]
    key_using = [a for a in during if a.kind in KEY_USING]
    assert key_using, outage
    assert {(a.status, a.problem) for a in key_using} == {(503, "kms-unavailable")}, outage
    assert all(a.retry_after for a in key_using), outage
    slowest = max(a.seconds for a in key_using)
    assert slowest < DB_TIMEOUT_SECONDS + SLACK_SECONDS, (outage, slowest)
    assert {a.status for a in during if a.kind == "read"} == {200}, outage
    back = [
        a for a in answers if outage.ended + SETTLE_SECONDS <= a.started < a.finished < back_until
    ]
    assert back, outage
    assert {a.status for a in back} <= {200, 201}, [a for a in back if a.status >= 300][:3]


async def _sealed_then_unsealed(traffic: Traffic, bao: OpenBaoServer, owner: str) -> None:
    newcomer = "outage-sealed"
    await traffic.register([newcomer])
    await asyncio.to_thread(bao.seal)
    refused = [await traffic.sign(owner, KEY), await traffic.create(newcomer, KEY)]
    assert [(a.status, a.problem) for a in refused] == [(503, "kms-unavailable")] * 2
    assert all(a.retry_after for a in refused)
    assert (await traffic.read(owner)).status == 200
    await asyncio.to_thread(bao.unseal)
    assert (await traffic.sign(owner, KEY)).status == 200
    assert (await traffic.create(newcomer, KEY)).status == 201


async def _assert_nothing_lost(traffic: Traffic, database_url: str) -> None:
    """Every wallet whose creation answered 201 is there and opens; no other wallet is there;
    each user's successful answers name one wallet, created once."""
    envelopes = await stored_envelopes(database_url)
    creations = [a for a in traffic.answers if a.kind == "create"]
    assert all(a.status in {200, 201, 503} for a in creations), [
        (a.status, a.problem, a.body) for a in creations if a.status not in {200, 201, 503}
    ][:3]
    created = [a.user_id for a in creations if a.status == 201]
    assert sorted(created) == sorted(set(created)), "a wallet created twice"
    assert set(envelopes) == set(created)
    for user in envelopes:
        assert v2_fields(envelopes[user])[0] == "transit"
        bodies = {str(a.body) for a in creations if a.user_id == user and a.status in {200, 201}}
        assert len(bodies) == 1, user
        await assert_opens(traffic, user, KEY)


@pytest.mark.postgres
async def test_transit_outages_mid_load_fail_fast_and_recover(tmp_path: Path) -> None:
    require_bao()
    with ExitStack() as stack:
        bao = stack.enter_context(openbao())
        database_url = stack.enter_context(fresh_postgres_database("kms_outage"))
        backend = transit_backend(bao)
        kms_init(database_url, backend)
        env = {
            **backend.env,
            "WALLET_DB_TIMEOUT": str(DB_TIMEOUT_SECONDS),
            "WALLET_DB_CONNECT_TIMEOUT": str(DB_TIMEOUT_SECONDS),
            "WALLET_DB_POOL_SIZE": "5",
        }
        server = stack.enter_context(serving(database_url, tmp_path / "server.log", env))
        async with Traffic(server.base_url) as traffic:
            await traffic.register(OUTAGE_USERS)
            outages = await _outages_under_load(traffic, bao)
            answers = list(traffic.answers)
            assert all(a.status != 0 for a in answers), "a request got no answer"
            ends = [outage.began for outage in outages[1:]] + [time.monotonic()]
            for outage, back_until in zip(outages, ends, strict=True):
                _assert_outage_answered(answers, outage, back_until)
            await _sealed_then_unsealed(traffic, bao, OUTAGE_USERS[0])
            await _assert_nothing_lost(traffic, database_url)
    statuses = sorted({a.status for a in answers})
    print(f"\noutages: {len(answers)} answers, statuses {statuses}")  # noqa: T201


# -- d. v1 and v2 wallets side by side, and `kms upgrade` ---------------------------------------


async def _made_under_none(base_url: str, owners: dict[str, str]) -> None:
    async with Traffic(base_url) as traffic:
        await traffic.register(list(owners))
        for user, key in owners.items():
            assert (await traffic.create(user, key)).status == 201


def _upgrade(database_url: str, backend: Backend) -> str:
    done = cli(database_url, {**backend.env, "WALLET_ENCRYPTION_KEY": KEY}, "kms", "upgrade")
    assert done.returncode == 0, done.stderr
    return " ".join(done.stderr.split())  # the progress display wraps lines at its width


async def test_v1_wallets_keep_working_beside_v2_until_kms_upgrade(
    transit: Backend, tmp_path: Path
) -> None:
    database_url, log = f"sqlite:///{tmp_path}/wallets.db", tmp_path / "server.log"
    owners = {"v1-a": KEY, "v1-b": KEY, "v1-other": OTHER_KEY}
    with serving(database_url, log, {}) as plain:
        await _made_under_none(plain.base_url, owners)
    v1 = await stored_envelopes(database_url)
    assert all(envelope.startswith("wo1$") for envelope in v1.values())
    with serving(database_url, log, transit.env) as server:
        async with Traffic(server.base_url) as traffic:
            for user, key in owners.items():
                await assert_opens(traffic, user, key)
            await traffic.register(["v2-new"])
            assert (await traffic.create("v2-new", KEY)).status == 201
            first = _upgrade(database_url, transit)
            envelopes = await stored_envelopes(database_url)
            for user in ("v1-a", "v1-b"):
                assert v2_fields(envelopes[user])[0] == "transit"
                assert (await traffic.events(user))[-1] == "upgraded"
                await assert_opens(traffic, user, KEY)
            assert envelopes["v1-other"] == v1["v1-other"]
            assert "upgraded" not in await traffic.events("v1-other")
            await assert_opens(traffic, "v1-other", OTHER_KEY)
    again = _upgrade(database_url, transit)
    assert "upgraded 2, already current 1, under other keys 1, failed 0" in first, first
    other = (await _wallet_ids(database_url))["v1-other"]
    assert f"under another key: {other}" in first, first
    assert "upgraded 0, already current 3, under other keys 1, failed 0" in again, again
    assert await stored_envelopes(database_url) == envelopes


async def _wallet_ids(database_url: str) -> dict[str, str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(wallets.c.userId, wallets.c.id))).all()
    finally:
        await engine.dispose()
    return {row.userId: row.id for row in rows}


# -- e. the CLI's errors ---------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    backend: Backend
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def refusals(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Refusal]:
    """`kms init` without a backend and on a token with a wrong PIN, `kms rotate` of a transit
    key that does not exist: run at once, each its own process."""
    wrong_pin = f"not-{softhsm(request.config).pin}"
    refused = pkcs11_backend(request.config, token_label=FRESH_TOKEN, pin=wrong_pin)
    require_bao()
    missing = transit_backend(shared_server(request.config))
    # A database each: three processes migrating one new SQLite file at once wait on its write
    # lock, and on a loaded machine one waited past WALLET_DB_TIMEOUT ("database unavailable").
    databases = tmp_path_factory.mktemp("refusals")
    runs = {
        "no backend": (Backend("none", "", {"WALLET_KMS": "none"}, ()), "init"),
        "wrong pin": (refused, "init"),
        "missing key": (missing, "rotate"),
    }
    started = {
        case: subprocess.Popen(
            _cli_command("kms", action),
            cwd=ROOT,
            env=_cli_env(f"sqlite:///{databases}/{case.replace(' ', '-')}.db", backend.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for case, (backend, action) in runs.items()
    }
    done = {}
    for case, process in started.items():
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT_SECONDS)
        done[case] = Refusal(runs[case][0], process.returncode, stdout, stderr)
    return done


def test_kms_init_without_a_backend_is_a_usage_error(refusals: dict[str, Refusal]) -> None:
    refusal = refusals["no backend"]
    assert refusal.exit_code == 2, refusal.stderr
    assert len(refusal.stderr.strip().splitlines()) == 1, refusal.stderr
    assert refusal.stderr.startswith("wallet-orchestrator: no key-management backend")
    assert refusal.stdout == ""


@pytest.mark.parametrize("case", ["wrong pin", "missing key"])
def test_a_refusing_backend_exits_1_without_showing_its_secrets(
    refusals: dict[str, Refusal], case: str
) -> None:
    refusal = refusals[case]
    assert refusal.exit_code == 1, refusal.stderr
    assert refusal.stderr.startswith("wallet-orchestrator: "), refusal.stderr
    for secret in refusal.backend.secrets:
        assert secret not in refusal.stdout + refusal.stderr


@pytest.mark.parametrize("case", ["wrong pin", "missing key"])
def test_a_refusing_backend_is_named_with_its_key(refusals: dict[str, Refusal], case: str) -> None:
    refusal = refusals[case]
    assert refusal.backend.name in refusal.stderr, refusal.stderr
    assert refusal.backend.key_label in refusal.stderr, refusal.stderr
