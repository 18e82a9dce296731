"""Envelope v2 as text and as pure functions: known-answer vectors checked against this
implementation and independent ones (argon2-cffi, cryptography's HKDF, PyCryptodome), the text
round trip, and every damage to the text refused by the parser."""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from argon2.low_level import Type, hash_secret_raw
from Crypto.Cipher import ChaCha20_Poly1305
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from hypothesis import given, settings
from hypothesis import strategies as st
from stellar_sdk import Keypair

from adapters.crypto.envelope import (
    Envelope,
    KdfParams,
    KeySchedule,
    WrongKey,
    b64,
    with_checksum,
)
from adapters.crypto.envelope_v2 import (
    EnvelopeV2,
    aead_key,
    open_v2,
    seal_v2,
    share_context,
)
from adapters.crypto.key_cache import stretch
from adapters.kms.base import MAX_WRAPPED_BYTES, WrappedShare
from domain.errors import EnvelopeTampered
from domain.model import WalletBinding

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "envelope_v2.json").read_text()
)["vectors"]
V1_VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "envelope_v1.json").read_text()
)["vectors"]


def _binding(vector: dict[str, Any]) -> WalletBinding:
    return WalletBinding(vector["userId"], vector["publicKey"])


def _wrapped(vector: dict[str, Any]) -> WrappedShare:
    share = vector["wrappedShare"]
    return WrappedShare(share["backend"], share["keyRef"], bytes.fromhex(share["wrappedHex"]))


def _hex(vector: dict[str, Any], name: str) -> bytes:
    return bytes.fromhex(vector[f"{name}Hex"])


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["description"])
def test_known_answer_vectors(vector: dict[str, Any]) -> None:
    params = KdfParams(vector["memoryKib"], vector["iterations"])
    seed, salt, nonce, share = (_hex(vector, name) for name in ("seed", "salt", "nonce", "share"))
    binding = _binding(vector)
    assert Keypair.from_raw_ed25519_seed(seed).public_key == vector["publicKey"]
    stretched = stretch(vector["encryptionKey"].encode(), salt, params)
    assert stretched.hex() == vector["stretchedKeyHex"]
    assert aead_key(stretched, share).hex() == vector["aeadKeyHex"]
    assert KeySchedule.of(stretched).check_v2.hex() == vector["checkHex"]
    sealed = seal_v2(
        seed,
        KeySchedule.of(stretched),
        binding,
        share=share,
        wrapped=_wrapped(vector),
        params=params,
        salt=salt,
        nonce=nonce,
    )
    assert sealed.ciphertext.hex() == vector["ciphertextHex"]
    assert sealed.to_text() == vector["envelope"]
    assert EnvelopeV2.parse(vector["envelope"]) == sealed
    assert open_v2(sealed, KeySchedule.of(stretched), share, binding) == seed


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["description"])
def test_vectors_tell_a_wrong_caller_key_from_a_wrong_share(vector: dict[str, Any]) -> None:
    """A wrong caller key fails the key check and the AEAD (WrongKey); the right caller key
    with another share passes the check and fails the AEAD: that is damage, not a wrong key.
    """
    parsed = EnvelopeV2.parse(vector["envelope"])
    schedule, share, binding = (
        KeySchedule.of(_hex(vector, "stretchedKey")),
        _hex(vector, "share"),
        _binding(vector),
    )
    with pytest.raises(WrongKey):
        open_v2(parsed, KeySchedule.of(bytes(32)), share, binding)
    with pytest.raises(EnvelopeTampered):
        open_v2(parsed, schedule, bytes(a ^ 1 for a in share), binding)
    with pytest.raises(EnvelopeTampered):
        open_v2(parsed, schedule, share, WalletBinding(binding.user_id + "x", binding.public_key))


def _independent_fields(text: str) -> dict[str, Any]:
    """The envelope's fields read as docs/envelope.md describes them, with none of our code."""
    body, _, written_sum = text.rpartition("$")
    assert _unb64(written_sum) == hashlib.sha256(body.encode()).digest()[:8]
    version, kdf, params, salt, check, backend, key_ref, wrapped, nonce, ciphertext = body.split(
        "$"
    )
    assert (version, kdf) == ("wo2", "argon2id")
    memory, passes, lanes = (int(part.split("=")[1]) for part in params.split(","))
    assert lanes == 1
    return {
        "memory": memory,
        "passes": passes,
        "salt": _unb64(salt),
        "check": _unb64(check),
        "backend": backend,
        "keyRef": key_ref,
        "wrapped": _unb64(wrapped),
        "nonce": _unb64(nonce),
        "ciphertext": _unb64(ciphertext),
    }


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _independent_context(vector: dict[str, Any]) -> bytes:
    fields = ("wo2", vector["userId"], vector["publicKey"])
    return b"".join(len(f.encode()).to_bytes(4, "big") + f.encode() for f in fields)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["description"])
def test_vectors_open_with_independent_implementations(vector: dict[str, Any]) -> None:
    """argon2-cffi (reference Argon2), cryptography (HKDF, RFC 5869) and PyCryptodome
    (XChaCha20-Poly1305) read the same bytes as docs/envelope.md describes them."""
    fields = _independent_fields(vector["envelope"])
    assert fields["salt"].hex() == vector["saltHex"]
    assert fields["nonce"].hex() == vector["nonceHex"]
    assert fields["wrapped"].hex() == vector["wrappedShare"]["wrappedHex"]
    assert (fields["backend"], fields["keyRef"]) == (
        vector["wrappedShare"]["backend"],
        vector["wrappedShare"]["keyRef"],
    )
    stretched = hash_secret_raw(
        vector["encryptionKey"].encode(),
        fields["salt"],
        time_cost=fields["passes"],
        memory_cost=fields["memory"],
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    assert stretched.hex() == vector["stretchedKeyHex"]
    share = _hex(vector, "share")
    key = HKDF(hashes.SHA256(), 32, salt=share, info=b"wallet-orchestrator wo2 aead key")
    aead_key_bytes = key.derive(stretched)
    assert aead_key_bytes.hex() == vector["aeadKeyHex"]
    check = HKDFExpand(hashes.SHA256(), 32, info=b"wallet-orchestrator wo2 key check")
    assert fields["check"] == check.derive(stretched)[:8]
    assert fields["check"].hex() == vector["checkHex"]
    assert fields["ciphertext"].hex() == vector["ciphertextHex"]
    aead = ChaCha20_Poly1305.new(key=aead_key_bytes, nonce=fields["nonce"])
    aead.update(_independent_context(vector))
    seed = aead.decrypt_and_verify(fields["ciphertext"][:32], fields["ciphertext"][32:])
    assert seed.hex() == vector["seedHex"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["description"])
def test_the_share_context_is_the_documented_encoding(vector: dict[str, Any]) -> None:
    assert share_context(_binding(vector)) == _independent_context(vector)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["description"])
def test_parse_and_to_text_round_trip(vector: dict[str, Any]) -> None:
    parsed = EnvelopeV2.parse(vector["envelope"])
    assert parsed.to_text() == vector["envelope"]
    assert parsed.share == _wrapped(vector)
    assert parsed.params == KdfParams(vector["memoryKib"], vector["iterations"])
    assert (parsed.salt, parsed.nonce) == (_hex(vector, "salt"), _hex(vector, "nonce"))
    assert (parsed.check, parsed.ciphertext) == (_hex(vector, "check"), _hex(vector, "ciphertext"))


def test_with_share_changes_only_the_share() -> None:
    parsed = EnvelopeV2.parse(VECTORS[0]["envelope"])
    other = WrappedShare("pkcs11", "00000002ffeeddccbbaa9988", bytes(60))
    moved = EnvelopeV2.parse(parsed.with_share(other).to_text())
    assert moved.share == other
    assert (moved.params, moved.salt, moved.check) == (parsed.params, parsed.salt, parsed.check)
    assert (moved.nonce, moved.ciphertext) == (parsed.nonce, parsed.ciphertext)


@settings(max_examples=200, deadline=None)
@given(
    memory=st.integers(8, 4 * 1024 * 1024),
    passes=st.integers(1, 64),
    salt=st.binary(min_size=16, max_size=16),
    check=st.binary(min_size=8, max_size=8),
    backend=st.from_regex(r"[a-z0-9]{1,16}", fullmatch=True),
    key_ref=st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True),
    wrapped=st.binary(min_size=1, max_size=MAX_WRAPPED_BYTES),
    nonce=st.binary(min_size=24, max_size=24),
    ciphertext=st.binary(min_size=48, max_size=48),
)
def test_any_well_formed_envelope_round_trips(  # noqa: PLR0917 - one argument per field
    memory: int,
    passes: int,
    salt: bytes,
    check: bytes,
    backend: str,
    key_ref: str,
    wrapped: bytes,
    nonce: bytes,
    ciphertext: bytes,
) -> None:
    share = WrappedShare(backend, key_ref, wrapped)
    envelope = EnvelopeV2(KdfParams(memory, passes), salt, check, share, nonce, ciphertext)
    text = envelope.to_text()
    assert EnvelopeV2.parse(text) == envelope
    assert text.isascii()
    assert "\n" not in text


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["description"])
def test_every_single_character_mutation_is_tampering(vector: dict[str, Any]) -> None:
    envelope = vector["envelope"]
    alphabet = "Aa0_-$=z.9"
    for index, original in enumerate(envelope):
        for replacement in (c for c in alphabet if c != original):
            mutated = envelope[:index] + replacement + envelope[index + 1 :]
            with pytest.raises(EnvelopeTampered):
                EnvelopeV2.parse(mutated)
    for index in range(len(envelope)):
        with pytest.raises(EnvelopeTampered):
            EnvelopeV2.parse(envelope[:index] + envelope[index + 1 :])


def test_a_mutation_that_only_fixes_the_checksum_still_does_not_open() -> None:
    """A deliberate editor recomputes the sum: the text parses, the seed does not come out."""
    vector = VECTORS[1]
    parsed = EnvelopeV2.parse(vector["envelope"])
    schedule, share, binding = (
        KeySchedule.of(_hex(vector, "stretchedKey")),
        _hex(vector, "share"),
        _binding(vector),
    )
    flipped = bytes([parsed.ciphertext[0] ^ 1]) + parsed.ciphertext[1:]
    edits = [
        EnvelopeV2(parsed.params, parsed.salt, parsed.check, parsed.share, parsed.nonce, flipped),
        EnvelopeV2(
            parsed.params, parsed.salt, bytes(8), parsed.share, parsed.nonce, parsed.ciphertext
        ),
        EnvelopeV2(
            parsed.params, parsed.salt, parsed.check, parsed.share, bytes(24), parsed.ciphertext
        ),
    ]
    for edited in edits:
        with pytest.raises(EnvelopeTampered):
            open_v2(EnvelopeV2.parse(edited.to_text()), schedule, share, binding)
    both = EnvelopeV2(parsed.params, parsed.salt, bytes(8), parsed.share, parsed.nonce, flipped)
    with pytest.raises(WrongKey):  # as docs/envelope.md says: a wrong key, never a wrong seed
        open_v2(EnvelopeV2.parse(both.to_text()), schedule, share, binding)


def _with_share_fields(backend: str, key_ref: str, wrapped: str) -> str:
    """Vector 1's text with these share fields, its checksum recomputed."""
    parsed = EnvelopeV2.parse(VECTORS[0]["envelope"])
    return with_checksum(
        "wo2",
        parsed.params,
        b64(parsed.salt),
        b64(parsed.check),
        backend,
        key_ref,
        wrapped,
        b64(parsed.nonce),
        b64(parsed.ciphertext),
    )


GOOD_WRAPPED = b64(bytes(60))


@pytest.mark.parametrize(
    ("backend", "key_ref", "wrapped"),
    [
        ("", "00000001a1b2c3d4e5f60718", GOOD_WRAPPED),
        ("PKCS11", "00000001a1b2c3d4e5f60718", GOOD_WRAPPED),
        ("pk-11", "00000001a1b2c3d4e5f60718", GOOD_WRAPPED),
        ("p" * 17, "00000001a1b2c3d4e5f60718", GOOD_WRAPPED),
        ("pkcs11 ", "00000001a1b2c3d4e5f60718", GOOD_WRAPPED),
        ("pkcs\u0131\u0131", "00000001a1b2c3d4e5f60718", GOOD_WRAPPED),
        ("pkcs11", "", GOOD_WRAPPED),
        ("pkcs11", "k" * 65, GOOD_WRAPPED),
        ("pkcs11", "v1/abc", GOOD_WRAPPED),
        ("pkcs11", "v1 abc", GOOD_WRAPPED),
        ("pkcs11", "v1:abc", GOOD_WRAPPED),
        ("pkcs11", "v1-ключ", GOOD_WRAPPED),
        ("pkcs11", "v1\n", GOOD_WRAPPED),
        ("pkcs11", "v1", ""),
        ("pkcs11", "v1", b64(bytes(MAX_WRAPPED_BYTES + 1))),
        ("pkcs11", "v1", GOOD_WRAPPED + "="),
        ("pkcs11", "v1", GOOD_WRAPPED.replace("A", "+", 1)),
        ("pkcs11", "v1", "AAB"),  # non-canonical: the unused low bits are not zero
        ("pkcs11", "v1", "A"),  # no whole byte
    ],
)
def test_malformed_share_fields_are_tampering(backend: str, key_ref: str, wrapped: str) -> None:
    with pytest.raises(EnvelopeTampered):
        EnvelopeV2.parse(_with_share_fields(backend, key_ref, wrapped))


def test_the_widest_share_fields_are_accepted() -> None:
    text = _with_share_fields("a" * 16, "k" * 64, b64(bytes(MAX_WRAPPED_BYTES)))
    assert EnvelopeV2.parse(text).share == WrappedShare("a" * 16, "k" * 64, bytes(1024))


def test_the_versions_do_not_parse_as_each_other() -> None:
    for vector in VECTORS:
        with pytest.raises(EnvelopeTampered):
            Envelope.parse(vector["envelope"])
    for vector in V1_VECTORS:
        with pytest.raises(EnvelopeTampered):
            EnvelopeV2.parse(vector["envelope"])


def test_a_v1_body_relabelled_wo2_is_tampering() -> None:
    parsed = Envelope.parse(V1_VECTORS[0]["envelope"])
    fields = (parsed.salt, parsed.check, parsed.nonce, parsed.ciphertext)
    with pytest.raises(EnvelopeTampered):
        EnvelopeV2.parse(with_checksum("wo2", parsed.params, *map(b64, fields)))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.sampled_from([v["envelope"][:-3] for v in VECTORS]))
def test_the_parser_raises_only_the_domain_error(text: str) -> None:
    try:
        EnvelopeV2.parse(text)
    except EnvelopeTampered:
        return


def test_the_specification_shows_a_real_vector() -> None:
    spec = (Path(__file__).parents[2] / "docs" / "envelope.md").read_text()
    assert VECTORS[0]["envelope"] in spec
