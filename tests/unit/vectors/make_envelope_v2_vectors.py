"""Writes envelope_v2.json: known-answer vectors for envelope v2, from fixed inputs.

Wrapping the share is the backend's business (an HSM's AES-GCM, transit's ciphertext), so each
vector fixes the wrapped share's bytes, backend name and key_ref instead of computing them: the
vectors pin down the envelope, not a backend.

Run only when adding a vector (`uv run python tests/unit/vectors/make_envelope_v2_vectors.py`);
the suite checks the committed file against this implementation and an independent one.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from stellar_sdk import Keypair

from adapters.crypto.envelope import KdfParams, KeySchedule
from adapters.crypto.envelope_v2 import aead_key, seal_v2
from adapters.crypto.key_cache import stretch
from adapters.kms.base import MAX_WRAPPED_BYTES, WrappedShare
from domain.model import WalletBinding


def _bytes(label: str, size: int) -> bytes:
    """`size` fixed bytes: SHA-256 of the label and a counter, concatenated."""
    blocks = (hashlib.sha256(f"{label} {n}".encode()).digest() for n in range(size // 32 + 1))
    return b"".join(blocks)[:size]


CASES: list[dict[str, Any]] = [
    {
        "description": "default parameters (19 MiB, 2 passes), ASCII key, a pkcs11 share",
        "encryptionKey": "correct horse battery staple",
        "userId": "ada",
        "seed": bytes(range(32)),
        "salt": bytes(range(16)),
        "nonce": bytes(range(16, 40)),
        "params": KdfParams(memory_kib=19 * 1024, iterations=2),
        "share": bytes(range(64, 96)),
        # CKA_ID: version 1 (4 bytes big-endian) and 8 random bytes; IV, ciphertext and tag
        "wrapped": WrappedShare("pkcs11", "00000001a1b2c3d4e5f60718", bytes(range(128, 188))),
    },
    {
        "description": "small parameters, Unicode key and user id, a transit share",
        "encryptionKey": "ключ-🔑-clé-键-0123456789",
        "userId": "ユーザー/émile o'brien",
        "seed": hashlib.sha256(b"v2 vector 2 seed").digest(),
        "salt": _bytes("v2 vector 2 salt", 16),
        "nonce": _bytes("v2 vector 2 nonce", 24),
        "params": KdfParams(memory_kib=64, iterations=1),
        "share": hashlib.sha256(b"v2 vector 2 share").digest(),
        "wrapped": WrappedShare("transit", "v3-0a1b2c3d4e5f", _bytes("v2 vector 2 wrapped", 60)),
    },
    {
        "description": "longest key (1024 characters), longest user id (128), 3 passes, "
        "longest backend name, key_ref and wrapped share",
        "encryptionKey": "k" * 1023 + "!",
        "userId": "u" * 128,
        "seed": hashlib.sha256(b"v2 vector 3 seed").digest(),
        "salt": _bytes("v2 vector 3 salt", 16),
        "nonce": _bytes("v2 vector 3 nonce", 24),
        "params": KdfParams(memory_kib=8, iterations=3),
        "share": hashlib.sha256(b"v2 vector 3 share").digest(),
        "wrapped": WrappedShare(
            "z" * 15 + "9", "Az09._-" * 9 + "z", _bytes("v2 vector 3 wrapped", MAX_WRAPPED_BYTES)
        ),
    },
    {
        "description": "shortest backend name, key_ref and wrapped share (one byte each)",
        "encryptionKey": "0123456789abcdef",
        "userId": "x",
        "seed": bytes(32),
        "salt": bytes(16),
        "nonce": bytes(24),
        "params": KdfParams(memory_kib=8, iterations=1),
        "share": bytes([255]) * 32,
        "wrapped": WrappedShare("m", "-", b"\x00"),
    },
]


def vector(case: dict[str, Any]) -> dict[str, Any]:
    seed, salt, nonce, params = case["seed"], case["salt"], case["nonce"], case["params"]
    share: bytes = case["share"]
    wrapped: WrappedShare = case["wrapped"]
    key = str(case["encryptionKey"]).encode("utf-8")
    public_key = Keypair.from_raw_ed25519_seed(seed).public_key
    stretched = stretch(key, salt, params)
    binding = WalletBinding(str(case["userId"]), public_key)
    envelope = seal_v2(
        seed,
        KeySchedule.of(stretched),
        binding,
        share=share,
        wrapped=wrapped,
        params=params,
        salt=salt,
        nonce=nonce,
    )
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
        "shareHex": share.hex(),
        "wrappedShare": {
            "backend": wrapped.backend,
            "keyRef": wrapped.key_ref,
            "wrappedHex": wrapped.wrapped.hex(),
        },
        "stretchedKeyHex": stretched.hex(),
        "aeadKeyHex": aead_key(stretched, share).hex(),
        "checkHex": KeySchedule.of(stretched).check_v2.hex(),
        "ciphertextHex": envelope.ciphertext.hex(),
        "envelope": envelope.to_text(),
    }


if __name__ == "__main__":
    target = Path(__file__).with_name("envelope_v2.json")
    document = {
        "format": "wallet-orchestrator envelope v2 known-answer vectors; see docs/envelope.md",
        "vectors": [vector(case) for case in CASES],
    }
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
