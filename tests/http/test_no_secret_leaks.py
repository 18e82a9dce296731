"""No caller key and no seed (StrKey, hex or base64) reaches a log record, a response body or
header, an exception message or the CLI's output; nor, with a key-management backend, its
transit token or PKCS#11 PIN, whether the backend serves, refuses or cannot be reached."""

import base64
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
import pytest
from nacl.public import PrivateKey
from stellar_sdk import Keypair, Network

from adapters.crypto.stellar_keys import StellarKeyGenerator
from entrypoints import cli
from entrypoints.container import Container, open_container
from entrypoints.kms_settings import KmsSettings, Pkcs11Settings, TransitSettings
from entrypoints.settings import Settings
from tests.kms_pkcs11 import FRESH_TOKEN, TOKEN, pkcs11_wrapper, softhsm
from tests.kms_transit import created_key, shared_server
from tests.support import (
    AUTH,
    FAST_KDF,
    KEY,
    OTHER_KEY,
    Faults,
    faulty_creation,
    http_client,
    payment_from,
    settings_for,
)

LONG_KEY = "leaky-" + "k" * 1100
NEW_KEY = "the next caller key, 16+ chars"
NOTHING_LISTENS = "http://127.0.0.1:9"
CREATE, WALLET = "/wallets/create-user-wallet", "/wallets/user"


def _forbidden(seeds: list[bytes], keys: list[str]) -> list[str]:
    needles = list(keys)
    for seed in seeds:
        needles += [
            Keypair.from_raw_ed25519_seed(seed).secret,
            seed.hex(),
            seed.hex().upper(),
            base64.b64encode(seed).decode(),
            base64.urlsafe_b64encode(seed).decode().rstrip("="),
        ]
    return needles


def _assert_clean(haystack: str, needles: list[str]) -> None:
    for needle in needles:
        assert needle not in haystack


async def test_http_flows_leak_nothing(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with faulty_creation(container, Faults()) as keys:
        async with http_client(container) as client:
            requests = [
                ("POST", "/users", {"email": "ada@example.com", "id": "ada"}),
                ("POST", "/wallets/create-user-wallet", {"userId": "ada", "encryptionKey": KEY}),
                ("POST", "/wallets/create-user-wallet", {"userId": "ada", "encryptionKey": KEY}),
                (
                    "POST",
                    "/wallets/create-user-wallet",
                    {"userId": "ada", "encryptionKey": OTHER_KEY},
                ),
                ("POST", "/wallets/create-user-wallet", {"userId": "nobody", "encryptionKey": KEY}),
                (
                    "POST",
                    "/wallets/create-user-wallet",
                    {"userId": "ada", "encryptionKey": LONG_KEY},
                ),
                ("POST", "/wallets/create-user-wallet", {"userId": ["x"], "encryptionKey": KEY}),
                ("GET", "/wallets/user/ada", None),
                ("GET", "/users/ada", None),
                ("POST", "/users", {"email": "ada@example.com", "id": "other"}),
                ("GET", "/health", None),
                ("GET", "/ready", None),
                ("GET", "/schema/openapi.json", None),
            ]
            for method, path, body in requests:
                response = await client.request(method, path, json=body, headers=AUTH)
                assert response.status_code < 500
                seen.append(response.text)
                seen.append(str(response.headers))
    # ada's only: "nobody" is refused by the first read, before any keypair is made; unless the
    # store adds first: then "nobody", under a key ready to seal, seals a keypair in vain (ada,
    # seen with a wallet, is read first; OTHER_KEY, never stretched before, too).
    assert len(keys.seeds) == (2 if container.wallet_creations().add_first else 1)
    needles = _forbidden(keys.seeds, [KEY, OTHER_KEY, LONG_KEY[:40]])
    _assert_clean("\n".join(seen), needles)
    _assert_clean("\n".join(record.getMessage() for record in caplog.records), needles)
    _assert_clean(caplog.text, needles)


def test_cli_flows_leak_nothing(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WALLET_KDF_MEMORY_KIB", str(FAST_KDF.memory_kib))
    monkeypatch.setenv("WALLET_KDF_ITERATIONS", str(FAST_KDF.iterations))
    seeds: list[bytes] = []
    real_generate = StellarKeyGenerator.generate

    def recording_generate(self: StellarKeyGenerator) -> object:
        keypair = real_generate(self)
        seeds.append(bytes(keypair.seed.reveal()))
        return keypair

    monkeypatch.setattr(StellarKeyGenerator, "generate", recording_generate)
    cli.main(["create-user", "--email", "ada@example.com", "--id", "ada"])
    for key in (KEY, KEY, OTHER_KEY, "short"):
        monkeypatch.setenv("WALLET_ENCRYPTION_KEY", key)
        cli.main(["create-wallet", "--user-id", "ada"])
    cli.main(["get-wallet", "--user-id", "ada"])
    captured = capsys.readouterr()
    assert len(seeds) == 1
    needles = _forbidden(seeds, [KEY, OTHER_KEY])
    _assert_clean(captured.out + captured.err + caplog.text, needles)


async def test_custody_flows_leak_nothing(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    new_key = "the next caller key, 16+ chars"
    recipient = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    settings = settings_for(database_url, allow_export=True)
    seen: list[str] = []
    async with open_container(settings) as container:
        with faulty_creation(container, Faults()) as keys:
            async with http_client(container) as client:

                async def post(path: str, body: dict[str, str]) -> httpx.Response:
                    response = await client.post(path, json=body, headers=AUTH)
                    assert response.status_code < 500, response.text
                    seen.extend((response.text, str(response.headers)))
                    return response

                await post("/users", {"email": "ada@example.com", "id": "ada"})
                created = await post(CREATE, {"userId": "ada", "encryptionKey": KEY})
                xdr = payment_from(created.json()["publicKey"])
                requests: list[tuple[str, dict[str, str]]] = [
                    (
                        "/wallets/user/ada/sign",
                        {
                            "encryptionKey": KEY,
                            "transactionXdr": xdr,
                            "networkPassphrase": Network.TESTNET_NETWORK_PASSPHRASE,
                        },
                    ),
                    (
                        "/wallets/user/ada/sign",
                        {
                            "encryptionKey": OTHER_KEY,
                            "transactionXdr": xdr[:-8],
                            "networkPassphrase": "nope",
                        },
                    ),
                    (
                        "/wallets/user/ada/export",
                        {"encryptionKey": KEY, "recipientPublicKey": recipient},
                    ),
                    (
                        "/wallets/user/ada/rotate-key",
                        {"encryptionKey": KEY, "newEncryptionKey": new_key},
                    ),
                    (
                        "/wallets/user/ada/rotate-key",
                        {"encryptionKey": KEY, "newEncryptionKey": new_key},
                    ),
                    ("/wallets/user/ada/suspend", {}),
                    (
                        "/wallets/user/ada/export",
                        {"encryptionKey": new_key, "recipientPublicKey": recipient},
                    ),
                    ("/wallets/user/ada/resume", {}),
                ]
                for path, body in requests:
                    await post(path, body)
                events = await client.get("/wallets/user/ada/events", headers=AUTH)
                seen.append(events.text)
    assert '"type":"signed"' in events.text  # the payment was signed, not refused
    assert len(keys.seeds) == 1
    needles = _forbidden(keys.seeds, [KEY, OTHER_KEY, new_key])
    _assert_clean("\n".join(seen), needles)
    _assert_clean(caplog.text, needles)


# With a key-management backend: each phase is the service restarted on the same database with
# another backend setting, and the requests it gets, each with the status and problem it must get.


Body = Callable[[Mapping[str, str]], dict[str, str]]
"""A request body made from the public keys of the wallets made so far, by user id."""


@dataclass(frozen=True)
class Call:
    path: str
    body: dict[str, str] | Body
    status: int
    problem: str = ""


def _create(user_id: str, key: str = KEY) -> dict[str, str]:
    return {"userId": user_id, "encryptionKey": key}


def _sign(key: str) -> Body:
    """Ada's signature of a payment from her wallet (a wallet signs only what is its own)."""

    def body(public_keys: Mapping[str, str]) -> dict[str, str]:
        return {
            "encryptionKey": key,
            "transactionXdr": payment_from(public_keys["ada"]),
            "networkPassphrase": Network.TESTNET_NETWORK_PASSPHRASE,
        }

    return body


def _served() -> list[Call]:
    """Ada's wallet made and used, its key rotated to NEW_KEY; Cy registered, without one."""
    recipient = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    return [
        Call("/users", {"email": "ada@example.com", "id": "ada"}, 201),
        Call("/users", {"email": "cy@example.com", "id": "cy"}, 201),
        Call(CREATE, _create("ada"), 201),
        Call(CREATE, _create("ada"), 200),
        Call(CREATE, _create("ada", OTHER_KEY), 409, "wallet-key-mismatch"),
        Call(f"{WALLET}/ada/sign", _sign(KEY), 200),
        Call(f"{WALLET}/ada/export", {"encryptionKey": KEY, "recipientPublicKey": recipient}, 200),
        Call(f"{WALLET}/ada/rotate-key", {"encryptionKey": KEY, "newEncryptionKey": NEW_KEY}, 200),
    ]


def _refused(problem: str) -> list[Call]:
    """Ada's signature and creation replay (an unwrap) answered `problem`, and unless that is a
    mismatch (the deployment has a key: it wraps), Cy's new wallet (a wrap) too.
    """
    status = 503 if problem == "kms-unavailable" else 500
    calls = [
        Call(f"{WALLET}/ada/sign", _sign(NEW_KEY), status, problem),
        Call(CREATE, _create("ada", NEW_KEY), status, problem),
    ]
    if problem != "kms-key-mismatch":
        calls.append(Call(CREATE, _create("cy"), status, problem))
    return calls


async def _serve(
    settings: Settings, calls: list[Call], seeds: list[bytes], public_keys: dict[str, str]
) -> list[str]:
    """The calls on a service with `settings`; every body and headers it answered. The seeds of
    the wallets it made are added to `seeds`, their public keys to `public_keys` by user id.
    """
    seen: list[str] = []
    async with open_container(settings) as container:
        with faulty_creation(container, Faults()) as keys:
            async with http_client(container) as client:
                for call in calls:
                    body = call.body(public_keys) if callable(call.body) else call.body
                    response = await client.post(call.path, json=body, headers=AUTH)
                    assert response.status_code == call.status, response.text
                    if call.problem:
                        assert response.json()["type"].endswith(f"/{call.problem}")
                    if call.path == CREATE and call.status == 201:
                        public_keys[body["userId"]] = response.json()["publicKey"]
                    seen += [response.text, str(response.headers)]
        seeds += keys.seeds
    return seen


async def _serve_phases(
    url: str,
    phases: list[tuple[KmsSettings, list[Call]]],
    backend_secrets: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every phase in turn, logging at DEBUG; then neither `backend_secrets`, nor a caller key,
    nor a seed made, is in an answer (body, problem detail, headers) or a log record.
    """
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    seeds: list[bytes] = []
    public_keys: dict[str, str] = {}
    for kms, calls in phases:
        settings = settings_for(url, allow_export=True, kms=kms)
        seen += await _serve(settings, calls, seeds, public_keys)
    assert seeds  # Ada's, and those made for Cy's creations before their wrap was refused
    needles = _forbidden(seeds, [*backend_secrets, KEY, OTHER_KEY, NEW_KEY])
    _assert_clean("\n".join(seen), needles)
    _assert_clean(caplog.text, needles)
    assert "refused" in caplog.text  # the refusals were logged, and looked at


async def test_transit_flows_leak_no_token(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> None:
    server = shared_server(request.config)
    key, other_key = created_key(server), created_key(server)
    token, other_token = server.wallet_token(key), server.wallet_token(other_key)

    def transit(addr: str = server.addr, key_name: str = key, token: str = token) -> KmsSettings:
        return KmsSettings("transit", transit=TransitSettings(addr, key_name, token, server.mount))

    phases = [
        (transit(), _served()),
        (transit(addr=NOTHING_LISTENS), _refused("kms-unavailable")),
        (transit(token=other_token), _refused("kms-refused")),  # a token of another key
        (transit(key_name=other_key, token=other_token), _refused("kms-key-mismatch")),
    ]
    await _serve_phases(sqlite_url, phases, [token, other_token, server.root_token], caplog)
    assert "transit unavailable: ConnectError" in caplog.text


async def test_pkcs11_flows_leak_no_pin(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> None:
    hsm = softhsm(request.config)
    label, other_label = (f"wallets-{secrets.token_hex(4)}" for _ in range(2))
    for key_label in (label, other_label):  # kms init
        async with pkcs11_wrapper(request.config, key_label=key_label) as wrapper:
            await wrapper.ensure_key()
    wrong_pin = "wrong-" + hsm.pin[::-1]

    def pkcs11(token: str = TOKEN, key_label: str = label, pin: str = hsm.pin) -> KmsSettings:
        return KmsSettings("pkcs11", pkcs11=Pkcs11Settings(hsm.module_path, token, key_label, pin))

    phases = [
        (pkcs11(), _served()),
        # This process logged in to the token with the right PIN: another one is refused here;
        # the fresh token, never logged in to, refuses it itself.
        (pkcs11(pin=wrong_pin), _refused("kms-refused")),
        (pkcs11(token=FRESH_TOKEN, pin=wrong_pin), _refused("kms-refused")),
        (pkcs11(key_label=other_label), _refused("kms-key-mismatch")),
    ]
    await _serve_phases(sqlite_url, phases, [hsm.pin, wrong_pin, hsm.so_pin], caplog)
