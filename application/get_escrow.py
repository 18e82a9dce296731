"""GetEscrow: a wallet's escrow, which only the offline recovery key opens."""

from dataclasses import dataclass

from domain.errors import EscrowNotFound, Field, WalletNotFound
from domain.model import check_id
from domain.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class EscrowResult:
    """A wallet's escrow record, as `recovery import` reads it back."""

    wallet_id: str
    user_id: str
    public_key: str
    recovery_key_id: str
    sealed_seed: str


class GetEscrow:
    """The escrow of the user's wallet: WalletNotFound, or EscrowNotFound when the wallet was
    last sealed with no recovery key configured. Reads only; the sealed seed is safe to hand
    out, since only the recovery key's private half (offline, split in shares) opens it.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, user_id: str) -> EscrowResult:
        user_id = check_id(Field.USER_ID, user_id)
        async with self._uow as uow:
            wallet = await uow.wallets.get_by_user(user_id)
            escrow = None if wallet is None else await uow.escrows.get(wallet.id)
        if wallet is None:
            raise WalletNotFound(user_id)
        if escrow is None:
            raise EscrowNotFound(user_id)
        return EscrowResult(
            wallet.id, wallet.user_id, wallet.public_key, escrow.recovery_key_id, escrow.sealed_seed
        )
