"""Writes envelope_v1.json: known-answer vectors for envelope v1, from fixed inputs.

Run only when adding a vector (`uv run python tests/unit/vectors/make_envelope_vectors.py`); the
suite checks the committed file against this implementation and an independent one.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from stellar_sdk import Keypair

from adapters.crypto.envelope import KdfParams, KeySchedule, seal
from adapters.crypto.key_cache import stretch
from domain.model import WalletBinding

CASES: list[dict[str, Any]] = [
    {
        "description": "default parameters (19 MiB, 2 passes), ASCII key",
        "encryptionKey": "correct horse battery staple",
        "userId": "ada",
        "seed": bytes(range(32)),
        "salt": bytes(range(16)),
        "nonce": bytes(range(16, 40)),
        "params": KdfParams(memory_kib=19 * 1024, iterations=2),
    },
    {
        "description": "small parameters, Unicode key and user id",
        "encryptionKey": "ключ-🔑-clé-键-0123456789",
        "userId": "ユーザー/émile o'brien",
        "seed": hashlib.sha256(b"vector 2 seed").digest(),
        "salt": hashlib.sha256(b"vector 2 salt").digest()[:16],
        "nonce": hashlib.sha256(b"vector 2 nonce").digest()[:24],
        "params": KdfParams(memory_kib=64, iterations=1),
    },
    {
        "description": "longest key (1024 characters), longest user id (128), 3 passes",
        "encryptionKey": "k" * 1023 + "!",
        "userId": "u" * 128,
        "seed": hashlib.sha256(b"vector 3 seed").digest(),
        "salt": hashlib.sha256(b"vector 3 salt").digest()[:16],
        "nonce": hashlib.sha256(b"vector 3 nonce").digest()[:24],
        "params": KdfParams(memory_kib=8, iterations=3),
    },
]


def vector(case: dict[str, Any]) -> dict[str, Any]:
    seed, salt, nonce, params = case["seed"], case["salt"], case["nonce"], case["params"]
    key = str(case["encryptionKey"]).encode("utf-8")
    public_key = Keypair.from_raw_ed25519_seed(seed).public_key
    stretched = stretch(key, salt, params)
    binding = WalletBinding(str(case["userId"]), public_key)
    envelope = seal(seed, KeySchedule.of(stretched), binding, params=params, salt=salt, nonce=nonce)
    return {
        "description": case["description"],
        "encryptionKey": case["encryptionKey"],
        "userId": case["userId"],
        "publicKey": public_key,
        "seedHex": seed.hex(),
        "saltHex": salt.hex(),
        "nonceHex": nonce.hex(),
        "memoryKib": params.memory_kib,
        "iterations": params.iterations,
        "stretchedKeyHex": stretched.hex(),
        "envelope": envelope.to_text(),
    }


if __name__ == "__main__":
    target = Path(__file__).with_name("envelope_v1.json")
    document = {
        "format": "wallet-orchestrator envelope v1 known-answer vectors; see docs/envelope.md",
        "vectors": [vector(case) for case in CASES],
    }
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
