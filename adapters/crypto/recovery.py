"""The recovery key on PyNaCl and shamir-mnemonic (SLIP-39's reference implementation): an X25519
keypair made in memory, its private half split into K-of-N mnemonic shares, and rebuilt from K of
them to open escrows (libsodium sealed boxes).
"""

import base64
import binascii
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox
from shamir_mnemonic import MnemonicError, combine_mnemonics, generate_mnemonics

from domain.errors import EscrowUnreadable, Field, InvalidInput
from domain.recovery import RecoveryKey
from domain.secrets import SecretSeed

MIN_SHARES, MAX_SHARES = 2, 16
_SEED_BYTES = 32


@dataclass(frozen=True, slots=True, repr=False)
class Ceremony:
    """A new recovery key: its public half (and id) to configure, and the shares to hand out.
    The shares are the only copy of the private half.
    """

    recovery_key: RecoveryKey
    shares: tuple[str, ...]


def new_recovery_key(shares: int, threshold: int) -> Ceremony:
    """A new X25519 keypair whose private half is split into `shares` SLIP-39 mnemonics, any
    `threshold` of which rebuild it (2 <= threshold <= shares <= 16; InvalidInput otherwise).
    """
    if not MIN_SHARES <= threshold <= shares <= MAX_SHARES:
        raise InvalidInput(
            Field.RECOVERY_SHARES,
            f"need {MIN_SHARES} <= threshold <= shares <= {MAX_SHARES}",
        )
    private = PrivateKey.generate()
    (mnemonics,) = generate_mnemonics(1, [(threshold, shares)], bytes(private))
    public = base64.b64encode(bytes(private.public_key)).decode("ascii")
    return Ceremony(RecoveryKey(public), tuple(mnemonics))


class RebuiltRecoveryKey:
    """The recovery key's private half, rebuilt from shares: an EscrowOpener."""

    def __init__(self, shares: list[str]) -> None:
        words = [" ".join(share.split()) for share in shares if share.strip()]
        if not words:
            raise InvalidInput(Field.RECOVERY_SHARES, "none were given")
        try:
            secret = combine_mnemonics(words)
        # Its messages can quote the words of a share: never repeat them.
        except (MnemonicError, ValueError):
            raise InvalidInput(
                Field.RECOVERY_SHARES,
                "do not rebuild a recovery key: too few, mistyped, or from different ceremonies",
            ) from None
        if len(secret) != _SEED_BYTES:
            raise InvalidInput(Field.RECOVERY_SHARES, "are not shares of a recovery key")
        self._private = PrivateKey(secret)
        self._box = SealedBox(self._private)

    def __repr__(self) -> str:
        return f"RebuiltRecoveryKey(public_key={self.public_key!r})"

    @property
    def public_key(self) -> str:
        return base64.b64encode(bytes(self._private.public_key)).decode("ascii")

    @property
    def recovery_key(self) -> RecoveryKey:
        return RecoveryKey(self.public_key)

    def open(self, sealed_seed: str) -> SecretSeed:
        try:
            seed = self._box.decrypt(base64.b64decode(sealed_seed, validate=True))
        except (binascii.Error, ValueError, CryptoError):
            raise EscrowUnreadable("it is not sealed to this recovery key, or is damaged") from None
        if len(seed) != _SEED_BYTES:
            raise EscrowUnreadable("it does not hold a 32-byte seed")
        return SecretSeed(seed)
