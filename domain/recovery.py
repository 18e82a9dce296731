"""The break-glass escrow: each wallet's seed also sealed to an offline recovery key (X25519),
split K-of-N among officers, that neither the running service nor any one person holds.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime

from domain.errors import Field, InvalidInput

KEY_BYTES = 32
KEY_ID_PREFIX = "rk-"


@dataclass(frozen=True, slots=True)
class RecoveryKey:
    """The public half of the recovery key: 32 bytes in canonical standard base64. Its id names
    it in every escrow record (a fingerprint, so that the same key always has the same id).
    """

    public_key: str

    def __post_init__(self) -> None:
        try:
            raw = base64.b64decode(self.public_key, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(Field.RECOVERY_PUBLIC_KEY, "is not standard base64") from None
        if len(raw) != KEY_BYTES or base64.b64encode(raw).decode("ascii") != self.public_key:
            raise InvalidInput(
                Field.RECOVERY_PUBLIC_KEY, f"must be {KEY_BYTES} bytes of canonical base64"
            )

    @property
    def key_id(self) -> str:
        """'rk-' and the first 16 hex digits of the SHA-256 of the key's 32 bytes."""
        digest = hashlib.sha256(base64.b64decode(self.public_key)).hexdigest()
        return KEY_ID_PREFIX + digest[:16]


@dataclass(frozen=True, slots=True)
class Escrow:
    """A wallet's seed sealed to a recovery key (a libsodium sealed box, base64): only that
    key's private half opens it.
    """

    wallet_id: str
    recovery_key_id: str
    sealed_seed: str
    created_at: datetime
