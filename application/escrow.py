"""Escrowing: each wallet's seed also sealed to the offline recovery key, when one is
configured, and stored with the wallet in the same unit of work.
"""

from domain.model import utc_now
from domain.ports import SeedSealer
from domain.recovery import Escrow, RecoveryKey
from domain.secrets import SecretSeed


class Escrowing:
    """Seals seeds to `recovery_key` with `sealer`; with no key, escrows nothing. The service
    holds only the public half: it can seal, never open.
    """

    def __init__(self, sealer: SeedSealer, recovery_key: RecoveryKey | None) -> None:
        self._sealer = sealer
        self.recovery_key = recovery_key

    def sealed(self, wallet_id: str, seed: SecretSeed) -> Escrow | None:
        """The wallet's escrow under the recovery key, or None when none is configured."""
        key = self.recovery_key
        if key is None:
            return None
        return Escrow(wallet_id, key.key_id, self._sealer.seal(seed, key.public_key), utc_now())

    def is_current(self, escrow: Escrow | None) -> bool:
        """Whether `escrow` is under the configured recovery key (True when none is)."""
        key = self.recovery_key
        return key is None or (escrow is not None and escrow.recovery_key_id == key.key_id)


class NoEscrow(Escrowing):
    """No recovery key: what use cases escrow with unless they are given one."""

    def __init__(self) -> None:
        self.recovery_key = None


NO_ESCROW = NoEscrow()
