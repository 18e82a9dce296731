"""Envelope v1: the text stored in `encryptedKey`, and the pure functions that seal and open it.

    wo1$argon2id$m=<KiB>,t=<passes>,p=1$<salt>$<check>$<nonce>$<ciphertext>$<sum>

Binary fields are base64url without padding. docs/envelope.md is the specification; the known-answer
vectors in tests/unit/vectors/ pin it down.
"""

import binascii
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import ClassVar

import nacl.exceptions
from nacl import bindings

from domain.errors import EnvelopeTampered
from domain.model import WalletBinding

VERSION = "wo1"
KDF_NAME = "argon2id"
SALT_BYTES = 16
CHECK_BYTES = 8
NONCE_BYTES = 24
TAG_BYTES = 16
SEED_BYTES = 32
SUM_BYTES = 8
STRETCHED_KEY_BYTES = 32
MIN_MEMORY_KIB = 8
MAX_MEMORY_KIB = 4 * 1024 * 1024
MAX_ITERATIONS = 64

_INFO_AEAD = b"wallet-orchestrator wo1 aead key"
_INFO_CHECK = b"wallet-orchestrator wo1 key check"
_INFO_CHECK_V2 = b"wallet-orchestrator wo2 key check"
"""v2's key-check label, here because the key schedule derives v2's check with v1's."""
SUBKEY_BYTES = 32
_PARAMS = re.compile(r"m=([1-9][0-9]{0,7}),t=([1-9][0-9]?),p=1")
_FROM_URLSAFE = bytes.maketrans(b"-_+/=", b"+/!!!")
"""base64url into the standard alphabet; "+", "/" and "=" into a byte strict decoding refuses."""
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", b"", b"==", b"=")
"""What makes a base64url field of each length modulo 4 whole (1 is never base64)."""
_CANONICAL_LAST = ("", "", "AQgw", "AEIMQUYcgkosw048")
"""The characters a field of each length modulo 4 may end with: those whose bits past the last
whole byte are zero (any character when the length is a multiple of 4)."""


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost: memory in KiB and passes, one lane."""

    memory_kib: int
    iterations: int

    def __post_init__(self) -> None:
        if not MIN_MEMORY_KIB <= self.memory_kib <= MAX_MEMORY_KIB:
            raise ValueError(f"Argon2id memory must be {MIN_MEMORY_KIB} to {MAX_MEMORY_KIB} KiB")
        if not 1 <= self.iterations <= MAX_ITERATIONS:
            raise ValueError(f"Argon2id iterations must be 1 to {MAX_ITERATIONS}")

    def to_text(self) -> str:
        return f"m={self.memory_kib},t={self.iterations},p=1"

    def exceeds(self, ceiling: "KdfParams") -> bool:
        """Whether this cost is above `ceiling` in memory or in passes."""
        return self.memory_kib > ceiling.memory_kib or self.iterations > ceiling.iterations


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed v1 envelope."""

    VERSION: ClassVar[str] = VERSION

    params: KdfParams
    salt: bytes
    check: bytes
    nonce: bytes
    ciphertext: bytes

    def to_text(self) -> str:
        fields = (self.salt, self.check, self.nonce, self.ciphertext)
        return with_checksum(VERSION, self.params, *map(b64, fields))

    @classmethod
    def parse(cls, text: str) -> "Envelope":
        """The envelope in `text`; EnvelopeTampered for anything that is not an intact v1 one."""
        params, (salt, check, nonce, ciphertext) = verified_fields(text, VERSION, 4)
        return cls(
            params,
            salt=unb64(salt, SALT_BYTES),
            check=unb64(check, CHECK_BYTES),
            nonce=unb64(nonce, NONCE_BYTES),
            ciphertext=unb64(ciphertext, SEED_BYTES + TAG_BYTES),
        )


def with_checksum(version: str, params: KdfParams, *fields: str) -> str:
    """The envelope text: version, KDF name and parameters, the fields, then their checksum."""
    body = "$".join((version, KDF_NAME, params.to_text(), *fields))
    return f"{body}${b64(checksum(body))}"


def verified_fields(text: str, version: str, count: int) -> tuple[KdfParams, list[str]]:
    """The KDF parameters and the `count` fields after them, once the checksum, the version and
    the KDF name are right (EnvelopeTampered if not).
    """
    body, _, written_sum = text.rpartition("$")
    if not hmac.compare_digest(unb64(written_sum, SUM_BYTES), checksum(body)):
        raise EnvelopeTampered("checksum does not match")
    parts = body.split("$")
    if len(parts) != count + 3 or parts[0] != version or parts[1] != KDF_NAME:
        raise EnvelopeTampered(f"not a {version} envelope")
    return _params(parts[2]), parts[3:]


@functools.lru_cache(maxsize=64)
def _params(text: str) -> KdfParams:
    """The KDF parameters written as `text` (EnvelopeTampered if they are not): kept for the
    few texts a deployment writes, as a refusal never is.
    """
    match = _PARAMS.fullmatch(text)
    if match is None:
        raise EnvelopeTampered("bad key-derivation parameters")
    try:
        return KdfParams(int(match[1]), int(match[2]))
    except ValueError:
        raise EnvelopeTampered("key-derivation parameters out of range") from None


class KeySchedule:
    """A stretched caller key and what the envelopes derive from it alone: v1's AEAD key, v1's
    key check and v2's key check (HKDF-Expand, one HMAC-SHA256 each: together they cost more
    than the AEAD). Derived once per stretched key (`of`) and kept with it as one run of bytes,
    `material`, which is what the key cache holds: sealing or opening under a cached key then
    derives nothing but what the envelope itself adds (v2's share).
    """

    __slots__ = ("material",)

    SIZE = STRETCHED_KEY_BYTES + SUBKEY_BYTES + 2 * CHECK_BYTES

    def __init__(self, material: bytes) -> None:
        if len(material) != self.SIZE:
            raise ValueError("key schedule material has the wrong length")
        self.material = material

    @classmethod
    def of(cls, stretched_key: bytes) -> "KeySchedule":
        if len(stretched_key) != STRETCHED_KEY_BYTES:
            raise ValueError("a stretched key is 32 bytes")
        return cls(
            stretched_key
            + expand(stretched_key, _INFO_AEAD)
            + key_check(stretched_key)
            + key_check(stretched_key, _INFO_CHECK_V2)
        )

    @property
    def stretched(self) -> bytes:
        return self.material[:STRETCHED_KEY_BYTES]

    @property
    def aead_v1(self) -> bytes:
        return self.material[STRETCHED_KEY_BYTES : STRETCHED_KEY_BYTES + SUBKEY_BYTES]

    @property
    def check_v1(self) -> bytes:
        return self.material[-2 * CHECK_BYTES : -CHECK_BYTES]

    @property
    def check_v2(self) -> bytes:
        return self.material[-CHECK_BYTES:]

    def __repr__(self) -> str:
        return "KeySchedule(<redacted>)"


def seal(  # noqa: PLR0913 - every input of the envelope, the random ones by name
    seed: bytes,
    key: KeySchedule,
    binding: WalletBinding,
    *,
    params: KdfParams,
    salt: bytes,
    nonce: bytes,
) -> Envelope:
    """Seal a 32-byte seed under a stretched key; deterministic given salt and nonce."""
    if len(salt) != SALT_BYTES:
        raise ValueError("the salt has the wrong length")
    ciphertext = aead_seal(seed, key.aead_v1, associated_data(binding), nonce)
    return Envelope(params, salt, key.check_v1, nonce, ciphertext)


class WrongKey(Exception):
    """The stretched key is not the one the envelope was sealed under."""


def open_sealed(envelope: Envelope, key: KeySchedule, binding: WalletBinding) -> bytes:
    """The seed. WrongKey when the key check and the AEAD both say this is another key;
    EnvelopeTampered when the key is right (or the check was altered) but the AEAD fails.
    """
    return aead_open(
        envelope.ciphertext,
        envelope.nonce,
        key.aead_v1,
        associated_data(binding),
        key_matches=hmac.compare_digest(key.check_v1, envelope.check),
    )


def aead_seal(seed: bytes, aead_key: bytes, aad: bytes, nonce: bytes) -> bytes:
    """XChaCha20-Poly1305 of a 32-byte seed: 48 bytes, ciphertext then tag."""
    if len(seed) != SEED_BYTES or len(nonce) != NONCE_BYTES:
        raise ValueError("seed or nonce has the wrong length")
    sealed: bytes = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(seed, aad, nonce, aead_key)
    return sealed


def aead_open(
    ciphertext: bytes, nonce: bytes, aead_key: bytes, aad: bytes, *, key_matches: bool
) -> bytes:
    """The seed. WrongKey when `key_matches` is false and the AEAD fails too; EnvelopeTampered
    when the key matches but the AEAD fails, or the AEAD opens but the key check was altered.
    """
    try:
        seed = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, aead_key)
    except nacl.exceptions.CryptoError:
        if key_matches:
            raise EnvelopeTampered("ciphertext or binding fails authentication") from None
        raise WrongKey from None
    if not key_matches:
        raise EnvelopeTampered("key check value was altered")
    return bytes(seed)


def key_check(stretched_key: bytes, info: bytes = _INFO_CHECK) -> bytes:
    """Eight bytes that tell keys apart; finding a key that matches costs an Argon2id run."""
    return expand(stretched_key, info)[:CHECK_BYTES]


def associated_data(binding: WalletBinding, version: str = VERSION) -> bytes:
    """Version, user id and public key, each UTF-8 with a 4-byte big-endian length prefix."""
    fields = (version, binding.user_id, binding.public_key)
    encoded = (field.encode("utf-8") for field in fields)
    return b"".join(len(value).to_bytes(4, "big") + value for value in encoded)


def expand(stretched_key: bytes, info: bytes) -> bytes:
    """HKDF-Expand (RFC 5869) with SHA-256 for one 32-byte block: HMAC(PRK, info || 0x01)."""
    return hmac.digest(stretched_key, info + b"\x01", "sha256")


def checksum(body: str) -> bytes:
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).digest()[:SUM_BYTES]


def b64(value: bytes) -> str:
    encoded = binascii.b2a_base64(value, newline=False).translate(_TO_URLSAFE)
    return encoded.rstrip(b"=").decode("ascii")


def unb64(text: str, size: int | None) -> bytes:
    """The bytes of a canonical base64url field of `size` bytes (any size if None): unpadded,
    nothing but the base64url alphabet, and no bits set past the last whole byte.
    """
    remainder = len(text) % 4
    if not text or remainder == 1 or not text.isascii():
        raise EnvelopeTampered("bad base64url field")
    if remainder and text[-1] not in _CANONICAL_LAST[remainder]:
        raise EnvelopeTampered("field has a non-canonical encoding")
    standard = text.encode("ascii").translate(_FROM_URLSAFE) + _PADDING[remainder]
    try:
        decoded = binascii.a2b_base64(standard, strict_mode=True)
    except binascii.Error:
        raise EnvelopeTampered("bad base64url field") from None
    if size is not None and len(decoded) != size:
        raise EnvelopeTampered("field has the wrong length")
    return decoded
