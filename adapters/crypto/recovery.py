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
from shamir_mnemonic.share import Share

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


def _threshold_many(shares: list[str]) -> list[str]:
    """The distinct shares given (spaces normalised), the first K of them when more than the
    threshold K they carry were given, all of one ceremony (SLIP-39 combines exactly K).
    InvalidInput if none.
    """
    words = list(dict.fromkeys(" ".join(share.split()).lower() for share in shares))
    words = [share for share in words if share]
    if not words:
        raise InvalidInput(Field.RECOVERY_SHARES, "none were given")
    try:
        parsed = [Share.from_mnemonic(share) for share in words]
    except (MnemonicError, ValueError):
        return words  # combining fails on them, quietly
    if len({(share.identifier, share.member_threshold) for share in parsed}) != 1:
        return words  # shares of several ceremonies: combining refuses them
    return words[: parsed[0].member_threshold]


def _combined(words: list[str]) -> bytes | None:
    """The secret the shares combine to, or None. Outside the `except` block, so that no
    exception raised after it keeps the library's (its messages quote share words) as context.
    """
    try:
        return bytes(combine_mnemonics(words))
    except (MnemonicError, ValueError):
        return None


class RebuiltRecoveryKey:
    """The recovery key's private half, rebuilt from shares: an EscrowOpener."""

    def __init__(self, shares: list[str]) -> None:
        secret = _combined(_threshold_many(shares))
        if secret is None:
            raise InvalidInput(
                Field.RECOVERY_SHARES,
                "do not rebuild a recovery key: too few, mistyped, or from different ceremonies",
            )
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
