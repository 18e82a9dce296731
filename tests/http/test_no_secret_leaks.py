"""No caller key and no seed (StrKey, hex or base64) reaches a log record, a response body or
header, an exception message or the CLI's output."""

import base64
import logging

import pytest
from nacl.public import PrivateKey
from stellar_sdk import Account, Asset, Keypair, Network, TransactionBuilder

from adapters.crypto.stellar_keys import StellarKeyGenerator
from entrypoints import cli
from entrypoints.container import Container, open_container
from tests.support import (
    AUTH,
    FAST_KDF,
    KEY,
    OTHER_KEY,
    Faults,
    faulty_creation,
    http_client,
    settings_for,
)

LONG_KEY = "leaky-" + "k" * 1100


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
    # ada's only: "nobody" is refused by the first read, before any keypair is made.
    assert len(keys.seeds) == 1
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
    xdr = _unsigned_transaction()
    settings = settings_for(database_url, allow_export=True)
    seen: list[str] = []
    async with open_container(settings) as container:
        with faulty_creation(container, Faults()) as keys:
            async with http_client(container) as client:
                requests: list[tuple[str, dict[str, str]]] = [
                    ("/users", {"email": "ada@example.com", "id": "ada"}),
                    ("/wallets/create-user-wallet", {"userId": "ada", "encryptionKey": KEY}),
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
                    response = await client.post(path, json=body, headers=AUTH)
                    assert response.status_code < 500, response.text
                    seen += [response.text, str(response.headers)]
                events = await client.get("/wallets/user/ada/events", headers=AUTH)
                seen.append(events.text)
    assert len(keys.seeds) == 1
    needles = _forbidden(keys.seeds, [KEY, OTHER_KEY, new_key])
    _assert_clean("\n".join(seen), needles)
    _assert_clean(caplog.text, needles)


def _unsigned_transaction() -> str:
    source = Keypair.random()
    builder = TransactionBuilder(
        Account(source.public_key, 1), Network.TESTNET_NETWORK_PASSPHRASE, base_fee=100
    )
    builder.append_payment_op(Keypair.random().public_key, Asset.native(), "1").set_timeout(60)
    return builder.build().to_xdr()
