"""SeedSealer on PyNaCl: a libsodium sealed box to the recipient's X25519 public key."""

import base64
import binascii

from nacl.exceptions import RuntimeError as NaclRuntimeError
from nacl.public import PublicKey, SealedBox

from domain.errors import Field, InvalidInput
from domain.secrets import SecretSeed

_FIELD = Field.RECIPIENT_PUBLIC_KEY
_KEY_BYTES = 32


class SealedBoxSealer:
    """`crypto_box_seal` of the 32 seed bytes; the result is standard base64 (80 raw bytes).

    The recipient key is accepted in one form only: canonical standard base64 (`+/`, `=`
    padding, no whitespace, zero trailing bits) of exactly 32 bytes, i.e. 44 characters.
    URL-safe or unpadded text is refused rather than guessed at, so one key has one spelling
    (the export audit trail fingerprints the text as given). Each seal uses a fresh ephemeral
    key, so sealing the same seed twice gives different text.
    """

    def seal(self, seed: SecretSeed, recipient_public_key: str) -> str:
        box = SealedBox(PublicKey(_decode_key(recipient_public_key)))
        if len(seed) != _KEY_BYTES:
            # A wiped or foreign secret: a programming error, never something to export.
            raise ValueError("the seed to seal is not 32 bytes")
        try:
            sealed = box.encrypt(bytes(seed.reveal()))
        except NaclRuntimeError:
            # libsodium refuses low-order points (e.g. all zeros): no shared secret exists.
            raise InvalidInput(_FIELD, "is not a usable X25519 public key") from None
        return base64.b64encode(sealed).decode("ascii")


def _decode_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # ValueError: text that is not ASCII
        raise InvalidInput(_FIELD, "is not standard base64") from None
    if len(raw) != _KEY_BYTES:
        raise InvalidInput(_FIELD, f"must be {_KEY_BYTES} bytes of base64")
    if base64.b64encode(raw).decode("ascii") != text:
        raise InvalidInput(_FIELD, "is not canonical base64 (non-zero trailing bits)")
    return raw
