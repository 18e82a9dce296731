"""GetWalletByUser: read a user's wallet."""

from application.results import WalletResult
from domain.errors import Field, WalletNotFound
from domain.model import check_id
from domain.ports import UnitOfWork


class GetWalletByUser:
    """Return the user's wallet (without its encrypted seed); WalletNotFound when the user has
    none or does not exist. Reads only; needs no key.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, user_id: str) -> WalletResult:
        check_id(Field.USER_ID, user_id)
        async with self._uow as uow:
            wallet = await uow.wallets.get_by_user(user_id)
        if wallet is None:
            raise WalletNotFound(user_id)
        return WalletResult.of(wallet)
