"""Envelope v2: envelope v1's caller-key factor plus a second factor held by a key-management
backend (an HSM or a KMS), and the pure functions that seal and open it.

    wo2$argon2id$m=<KiB>,t=<passes>,p=1$<salt>$<check>$<backend>$<key ref>$<wrapped share>
       $<nonce>$<ciphertext>$<sum>

(one line). Each wallet has a random 32-byte share, stored only as the backend wrapped it, bound
to the wallet. The AEAD key is HKDF-SHA256 of the stretched caller key with the share as salt:
neither factor alone opens the seed. docs/envelope.md is the specification; the known-answer
vectors in tests/unit/vectors/envelope_v2.json pin it down.
"""

import hmac
from dataclasses import dataclass
from typing import ClassVar

from adapters.crypto.envelope import (
    CHECK_BYTES,
    NONCE_BYTES,
    SALT_BYTES,
    SEED_BYTES,
    TAG_BYTES,
    KdfParams,
    KeySchedule,
    aead_open,
    aead_seal,
    associated_data,
    b64,
    expand,
    unb64,
    verified_fields,
    with_checksum,
)
from adapters.kms.base import BACKEND_NAME, KEY_REF, MAX_WRAPPED_BYTES, SHARE_BYTES, WrappedShare
from domain.errors import EnvelopeTampered
from domain.model import WalletBinding

VERSION = "wo2"
_INFO_AEAD = b"wallet-orchestrator wo2 aead key"


@dataclass(frozen=True, slots=True)
class EnvelopeV2:
    """A parsed v2 envelope."""

    VERSION: ClassVar[str] = VERSION

    params: KdfParams
    salt: bytes
    check: bytes
    share: WrappedShare
    nonce: bytes
    ciphertext: bytes

    def to_text(self) -> str:
        return with_checksum(
            VERSION,
            self.params,
            b64(self.salt),
            b64(self.check),
            self.share.backend,
            self.share.key_ref,
            b64(self.share.wrapped),
            b64(self.nonce),
            b64(self.ciphertext),
        )

    def with_share(self, share: WrappedShare) -> "EnvelopeV2":
        """The same envelope with its share wrapped anew (after the backend's key rotated)."""
        return EnvelopeV2(self.params, self.salt, self.check, share, self.nonce, self.ciphertext)

    @classmethod
    def parse(cls, text: str) -> "EnvelopeV2":
        """The envelope in `text`; EnvelopeTampered for anything that is not an intact v2 one."""
        params, fields = verified_fields(text, VERSION, 7)
        salt, check, backend, key_ref, wrapped, nonce, ciphertext = fields
        if not BACKEND_NAME.fullmatch(backend) or not KEY_REF.fullmatch(key_ref):
            raise EnvelopeTampered("bad backend name or key reference")
        wrapped_bytes = unb64(wrapped, None)
        if not 0 < len(wrapped_bytes) <= MAX_WRAPPED_BYTES:
            raise EnvelopeTampered("wrapped share has the wrong length")
        return cls(
            params,
            salt=unb64(salt, SALT_BYTES),
            check=unb64(check, CHECK_BYTES),
            share=WrappedShare(backend, key_ref, wrapped_bytes),
            nonce=unb64(nonce, NONCE_BYTES),
            ciphertext=unb64(ciphertext, SEED_BYTES + TAG_BYTES),
        )


def share_context(binding: WalletBinding) -> bytes:
    """What binds a share to its wallet in the backend, and the AEAD's associated data:
    "wo2", user id and public key, each UTF-8 with a 4-byte big-endian length prefix.
    """
    return associated_data(binding, VERSION)


def aead_key(stretched_key: bytes, share: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) with the share as salt and the stretched key as input keying
    material, one 32-byte block: HMAC(HMAC(share, stretched key), info || 0x01).
    """
    if len(share) != SHARE_BYTES:
        raise ValueError("a share is 32 bytes")
    return expand(hmac.digest(share, stretched_key, "sha256"), _INFO_AEAD)


def seal_v2(  # noqa: PLR0913 - every input of the envelope, the random ones by name
    seed: bytes,
    key: KeySchedule,
    binding: WalletBinding,
    *,
    share: bytes,
    wrapped: WrappedShare,
    params: KdfParams,
    salt: bytes,
    nonce: bytes,
) -> EnvelopeV2:
    """Seal a 32-byte seed under a stretched key and a share (wrapped as `wrapped`);
    deterministic given salt, share, wrapped share and nonce.
    """
    if len(salt) != SALT_BYTES:
        raise ValueError("the salt has the wrong length")
    ciphertext = aead_seal(seed, aead_key(key.stretched, share), share_context(binding), nonce)
    return EnvelopeV2(params, salt, key.check_v2, wrapped, nonce, ciphertext)


def open_v2(envelope: EnvelopeV2, key: KeySchedule, share: bytes, binding: WalletBinding) -> bytes:
    """The seed. WrongKey when the key check and the AEAD both say this is another caller key;
    EnvelopeTampered when the caller key is right (or the check was altered) but the AEAD fails.
    """
    return aead_open(
        envelope.ciphertext,
        envelope.nonce,
        aead_key(key.stretched, share),
        share_context(binding),
        key_matches=hmac.compare_digest(key.check_v2, envelope.check),
    )
