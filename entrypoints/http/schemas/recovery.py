"""The body of recovery: a wallet's escrow."""

import msgspec

from application.get_escrow import EscrowResult


class EscrowBody(msgspec.Struct, rename="camel"):
    """A wallet's escrow: its seed sealed (libsodium sealed box, base64) to the offline recovery
    key named by `recoveryKeyId`. Only that key's private half opens it; keep a copy with your
    own records, since it is what survives a database restored to an earlier point.
    """

    wallet_id: str
    user_id: str
    public_key: str
    recovery_key_id: str
    sealed_seed: str

    @classmethod
    def of(cls, result: EscrowResult) -> "EscrowBody":
        return cls(
            result.wallet_id,
            result.user_id,
            result.public_key,
            result.recovery_key_id,
            result.sealed_seed,
        )
