"""Cipher benchmark: envelope v1 encryptions and decryptions per second with a warm key cache,
and the cold Argon2id derivation time at the default parameters.

    uv run python bench/cipher_bench.py [--seconds 3]

Bounded: each phase runs for --seconds (default 3) or 200,000 operations, whichever comes first.
"""

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from adapters.crypto.cipher import DEFAULT_KDF, Argon2AeadCipher
from adapters.crypto.key_cache import StretchedKeyCache, stretch
from adapters.crypto.stellar_keys import StellarKeyGenerator
from domain.model import WalletBinding
from domain.secrets import EncryptionKey, SecretSeed

MAX_OPERATIONS = 200_000
SALT = bytes(16)
RESULTS = Path(__file__).parent / "results" / "cipher.md"


async def _salt() -> bytes:
    return SALT


async def main(seconds: float) -> str:
    cipher = Argon2AeadCipher(DEFAULT_KDF, StretchedKeyCache(16, 3600.0), _salt)
    key = EncryptionKey.from_text("benchmark caller key 0123456789")
    keypair = StellarKeyGenerator().generate()
    binding = WalletBinding("bench-user", keypair.public_key)
    seed = SecretSeed(keypair.seed.reveal())

    cold = []
    for _ in range(5):
        started = time.perf_counter()
        stretch(b"cold key 0123456789abcdef", SALT, DEFAULT_KDF)
        cold.append(time.perf_counter() - started)

    envelope = await cipher.encrypt(seed, key, binding)  # warms the cache
    encryptions, elapsed = 0, 0.0
    started = time.perf_counter()
    while elapsed < seconds and encryptions < MAX_OPERATIONS:
        await cipher.encrypt(seed, key, binding)
        encryptions += 1
        elapsed = time.perf_counter() - started
    encrypt_rate = encryptions / elapsed

    decryptions, elapsed = 0, 0.0
    started = time.perf_counter()
    while elapsed < seconds and decryptions < MAX_OPERATIONS:
        (await cipher.decrypt(envelope, key, binding)).wipe()
        decryptions += 1
        elapsed = time.perf_counter() - started
    decrypt_rate = decryptions / elapsed

    params = f"m={DEFAULT_KDF.memory_kib} KiB t={DEFAULT_KDF.iterations} p=1"
    cold_ms = statistics.median(cold) * 1000
    return "\n".join(
        [
            "| figure | value |",
            "| --- | --- |",
            f"| cold Argon2id derivation, {params} (median of 5) | {cold_ms:.1f} ms |",
            f"| encryptions per second, warm cache, one core | {encrypt_rate:,.0f} |",
            f"| decryptions per second, warm cache, one core | {decrypt_rate:,.0f} |",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    table = asyncio.run(main(parser.parse_args().seconds))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(f"# Cipher benchmark\n\n{table}\n")
    print(table)
