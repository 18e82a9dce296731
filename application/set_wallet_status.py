"""SuspendWallet and ResumeWallet: stop and restart a wallet's use; it stays readable."""

from application.results import WalletResult
from application.wallet_access import hold_wallet, record
from domain.audit import EventType
from domain.model import WalletStatus
from domain.ports import UnitOfWork


class _SetWalletStatus:
    """Put the wallet in `_target` status and record it; a wallet already there is returned
    unchanged, with no new event. WalletNotFound if the user has no wallet. Needs no key.
    """

    _target: WalletStatus
    _event: EventType

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, user_id: str, actor: str | None = None) -> WalletResult:
        async with self._uow as uow:
            wallet = await hold_wallet(uow, user_id)
            if wallet.status is self._target:
                return WalletResult.of(wallet)
            changed = wallet.with_status(self._target)
            await uow.wallets.update(changed)
            await record(uow, changed, self._event, actor)
            await uow.commit()
        return WalletResult.of(changed)


class SuspendWallet(_SetWalletStatus):
    """Suspend: sign, rotate and export then fail with WalletSuspended until resumed."""

    _target = WalletStatus.SUSPENDED
    _event = EventType.SUSPENDED


class ResumeWallet(_SetWalletStatus):
    """Resume a suspended wallet."""

    _target = WalletStatus.ACTIVE
    _event = EventType.RESUMED
