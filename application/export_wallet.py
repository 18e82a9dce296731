"""ExportWallet: the seed sealed to a recovery recipient, never in plaintext."""

import hashlib
from dataclasses import dataclass

from application.wallet_access import holding_opened, record
from domain.audit import EventType
from domain.errors import ExportDisabled
from domain.model import Wallet
from domain.ports import Cipher, SeedSealer, UnitOfWork
from domain.secrets import EncryptionKey, SecretSeed


@dataclass(frozen=True, slots=True, repr=False)
class ExportRequest:
    """Seal the wallet's seed to `recipient_public_key` (X25519, base64)."""

    user_id: str
    encryption_key: EncryptionKey
    recipient_public_key: str
    actor: str | None = None


class ExportWallet:
    """Return the wallet's seed sealed to the recipient, and record that it was exported.

    ExportDisabled unless the deployment allows exports; then WalletNotFound, WalletSuspended,
    WalletKeyMismatch, EnvelopeTampered, or InvalidInput for a bad recipient key. The wallet's
    `exported_at` is set and an `exported` event (with a fingerprint of the recipient key) is
    recorded in the same transaction. The key is prepared before any unit of work opens
    (KeyDerivationBusy), and the wallet is opened and its seed sealed between units of work
    (`holding_opened`): no connection waits for a derivation or a key-management backend
    (KmsUnavailable, KmsRefused, KmsKeyMismatch).
    """

    def __init__(
        self, uow: UnitOfWork, cipher: Cipher, sealer: SeedSealer, *, allowed: bool
    ) -> None:
        self._uow = uow
        self._cipher = cipher
        self._sealer = sealer
        self._allowed = allowed

    async def __call__(self, request: ExportRequest) -> str:
        if not self._allowed:
            raise ExportDisabled
        with await self._cipher.prepare(request.encryption_key) as key:
            return await self._export(request, key)

    async def _export(self, request: ExportRequest, key: EncryptionKey) -> str:
        async def seal(_: Wallet, seed: SecretSeed) -> str:
            return self._sealer.seal(seed, request.recipient_public_key)

        uow = self._uow
        async with holding_opened(uow, self._cipher, request.user_id, key, seal) as (
            wallet,
            sealed,
        ):
            exported = wallet.marked_exported()
            await uow.wallets.update(exported)
            fingerprint = hashlib.sha256(request.recipient_public_key.encode()).hexdigest()[:16]
            details = {"recipient_key_fingerprint": fingerprint}
            await record(uow, exported, EventType.EXPORTED, request.actor, details)
            await uow.commit()
        return sealed
