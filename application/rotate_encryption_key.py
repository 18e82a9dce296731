"""RotateEncryptionKey: re-seal one wallet's seed under a new caller key."""

from dataclasses import dataclass

from application.escrow import NO_ESCROW, Escrowing
from application.results import WalletResult
from application.wallet_access import Resealed, holding_opened, seal_checked, store_envelope
from domain.audit import EventType
from domain.model import Wallet
from domain.ports import Cipher, UnitOfWork
from domain.secrets import EncryptionKey, SecretSeed


@dataclass(frozen=True, slots=True, repr=False)
class RotateKeyRequest:
    """Re-seal the wallet of `user_id` from `encryption_key` to `new_encryption_key`."""

    user_id: str
    encryption_key: EncryptionKey
    new_encryption_key: EncryptionKey
    actor: str | None = None


class RotateEncryptionKey:
    """Atomically replace the wallet's envelope with one under the new key; same keypair.

    The wallet is held for update while the new envelope is written, so a concurrent sign or
    rotation waits and then sees the new envelope (a rotation that loses the race gets
    WalletKeyMismatch: its old key no longer opens the wallet). The new envelope passes the
    self-check before commit. Errors: WalletNotFound, WalletSuspended, WalletKeyMismatch (old
    key), EnvelopeTampered, SealingFailed. Records a `rotated` event. Both keys are prepared
    before any unit of work opens (KeyDerivationBusy), and the wallet is opened and resealed
    between units of work (`holding_opened`): no connection waits for a derivation or a
    key-management backend (KmsUnavailable, KmsRefused, KmsKeyMismatch). With a recovery key
    configured (`escrowing`), the wallet's escrow is written anew in the same transaction.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        cipher: Cipher,
        escrowing: Escrowing = NO_ESCROW,
    ) -> None:
        self._uow = uow
        self._cipher = cipher
        self._escrowing = escrowing

    async def __call__(self, request: RotateKeyRequest) -> WalletResult:
        with (
            await self._cipher.prepare(request.encryption_key) as key,
            await self._cipher.prepare(request.new_encryption_key) as new_key,
        ):
            return await self._rotate(request, key, new_key)

    async def _rotate(
        self, request: RotateKeyRequest, key: EncryptionKey, new_key: EncryptionKey
    ) -> WalletResult:
        async def reseal(wallet: Wallet, seed: SecretSeed) -> Resealed:
            envelope = await seal_checked(self._cipher, seed, new_key, wallet.binding)
            return Resealed(envelope, self._escrowing.sealed(wallet.id, seed))

        uow = self._uow
        async with holding_opened(uow, self._cipher, request.user_id, key, reseal) as held:
            wallet, (envelope, escrow) = held
            rotated = await store_envelope(
                uow, wallet, envelope, EventType.ROTATED, actor=request.actor, escrow=escrow
            )
            await uow.commit()
        return WalletResult.of(rotated)
