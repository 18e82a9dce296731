"""Scenario 1: the crypto floor (PyNaCl keypair + one AEAD encryption, one core) and
CreateUserWallet in-process on the in-memory adapters with a warm key cache."""

import time
from collections.abc import Callable

import nacl.bindings
import nacl.utils
from nacl.public import PrivateKey

from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from bench.suite_settings import KEY
from domain.secrets import EncryptionKey
from entrypoints.container import open_container
from entrypoints.settings import Settings


def per_second(work: Callable[[], object], seconds: float) -> float:
    done, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(100):
            work()
        done += 100
    return done / (time.perf_counter() - started)


def crypto_floor(seconds: float) -> float:
    """Keypairs plus one XChaCha20-Poly1305 encryption each, per second, one core."""
    key = nacl.utils.random(32)

    def once() -> None:
        _, secret = nacl.bindings.crypto_sign_seed_keypair(nacl.utils.random(32))
        nonce = nacl.utils.random(24)
        nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(secret[:32], b"ad", nonce, key)

    PrivateKey.generate()
    return per_second(once, seconds)


async def in_process_creations(seconds: float, users: int = 60_000) -> float:
    """CreateUserWallet calls per second for users registered beforehand (not timed)."""
    async with open_container(Settings(database_url="memory://")) as container:
        register, create = container.register_user, container.create_user_wallet
        user_ids = [
            (await register()(RegisterUserRequest(f"u{n}@example.com"))).id for n in range(users)
        ]
        with EncryptionKey.from_text(KEY) as key:
            await create()(CreateWalletRequest(user_ids.pop(), key))  # warms the key cache
            done, started = 0, time.perf_counter()
            while user_ids and time.perf_counter() - started < seconds:
                await create()(CreateWalletRequest(user_ids.pop(), key))
                done += 1
        return done / (time.perf_counter() - started)
