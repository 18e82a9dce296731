"""Key custody through the use cases and the HTTP app: the key cache, wrong key vs tampering,
and the self-check that keeps an unopenable wallet from ever being stored."""

import logging

import pytest
from dependency_injector import providers

from adapters.crypto.cipher import Argon2AeadCipher
from adapters.crypto.envelope import Envelope
from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from application.results import WalletResult
from domain.errors import SealingFailed, WalletNotFound
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, SecretSeed
from entrypoints.container import Container
from tests.support import AUTH, KEY, OTHER_KEY, http_client, rewrite_envelope


async def _create(container: Container, user_id: str, key: str = KEY) -> WalletResult:
    with EncryptionKey.from_text(key) as encryption_key:
        return await container.create_user_wallet()(CreateWalletRequest(user_id, encryption_key))


async def _users(container: Container, *user_ids: str) -> None:
    for user_id in user_ids:
        await container.register_user()(RegisterUserRequest(f"{user_id}@example.com", user_id))


async def test_cold_cache_derives_once_and_warm_cache_never(container: Container) -> None:
    await _users(container, "ada", "bob", "cy")
    stats = container.key_cache().stats
    await _create(container, "ada")
    assert stats.derivations == 1
    await _create(container, "bob")
    await _create(container, "ada")
    await _create(container, "cy")
    assert stats.derivations == 1
    # One lookup per new wallet: the key is prepared once, sealing and opening then use it. The
    # replay needs none: its key opened that wallet's envelope here (Cipher.opened_before).
    assert stats.hits == 2


class _SealsAnotherSeed:
    """A broken cipher: it seals a different seed than the one it is given."""

    def __init__(self, inner: Argon2AeadCipher) -> None:
        self._inner = inner

    async def prepare(self, key: EncryptionKey) -> EncryptionKey:
        return await self._inner.prepare(key)

    async def ready_to_seal(self, key: EncryptionKey) -> EncryptionKey | None:
        return await self._inner.ready_to_seal(key)

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        return await self._inner.encrypt(SecretSeed(bytes(32)), key, binding)

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        return await self._inner.decrypt(envelope, key, binding)

    def opened_before(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> bool:
        return False  # every proof opens the envelope, through decrypt above

    async def verify(self, envelope: str, key: EncryptionKey, binding: WalletBinding) -> None:
        (await self.decrypt(envelope, key, binding)).wipe()


async def test_a_wallet_that_does_not_open_to_its_key_is_never_stored(container: Container) -> None:
    await _users(container, "ada")
    broken = providers.Object(_SealsAnotherSeed(container.cipher()))
    with container.cipher.override(broken), pytest.raises(SealingFailed):
        await _create(container, "ada")
    with pytest.raises(WalletNotFound):
        await container.get_wallet_by_user()("ada")
    assert (await _create(container, "ada")).created


async def test_http_wrong_key_is_409_and_tampering_is_500(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    await _users(container, "ada")
    async with http_client(container) as client:
        body = {"userId": "ada", "encryptionKey": KEY}
        created = await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)
        assert created.status_code == 201
        wrong = {"userId": "ada", "encryptionKey": OTHER_KEY}
        mismatch = await client.post("/wallets/create-user-wallet", json=wrong, headers=AUTH)
        assert mismatch.status_code == 409
        assert mismatch.json()["type"].endswith("/wallet-key-mismatch")
        await _tamper_with_envelope(container, "ada")
        caplog.clear()
        caplog.set_level(logging.DEBUG)
        tampered = await client.post("/wallets/create-user-wallet", json=body, headers=AUTH)
    assert tampered.status_code == 500
    assert tampered.headers["content-type"].startswith("application/problem+json")
    problem = tampered.json()
    assert problem["type"].endswith("/envelope-tampered")
    assert "walletId" not in problem
    assert "publicKey" not in problem
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert KEY not in caplog.text


async def _tamper_with_envelope(container: Container, user_id: str) -> None:
    """Flip one ciphertext byte and fix up the checksum, as a deliberate attacker would."""

    def flip(parsed: Envelope) -> Envelope:
        flipped = bytes([parsed.ciphertext[0] ^ 1]) + parsed.ciphertext[1:]
        return Envelope(parsed.params, parsed.salt, parsed.check, parsed.nonce, flipped)

    await rewrite_envelope(container, user_id, flip)
