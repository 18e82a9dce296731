"""The signing policy of one wallet: read the one in force, set the wallet's own, remove it."""

from application.signing_policy import SigningGate
from application.wallet_access import hold_wallet, record
from domain.audit import EventType
from domain.errors import Field, WalletNotFound
from domain.model import check_id
from domain.policy import PolicyInForce, SigningPolicy
from domain.ports import UnitOfWork


class GetSigningPolicy:
    """The policy in force for the user's wallet and where it comes from (its own, the
    deployment's default, or the built-in one). WalletNotFound. Changes nothing.
    """

    def __init__(self, uow: UnitOfWork, gate: SigningGate) -> None:
        self._uow = uow
        self._gate = gate

    async def __call__(self, user_id: str) -> PolicyInForce:
        async with self._uow as uow:
            wallet = await uow.wallets.get_by_user(check_id(Field.USER_ID, user_id))
            if wallet is None:
                raise WalletNotFound(user_id)
            return await self._gate.in_force(uow, wallet.id)


class SetSigningPolicy:
    """Give the user's wallet a policy of its own (whatever its status), replacing the
    deployment's default for it, and record a `policy_set` event with the policy in words, in
    one transaction. Returns the policy now in force. WalletNotFound.
    """

    def __init__(self, uow: UnitOfWork, gate: SigningGate) -> None:
        self._uow = uow
        self._gate = gate

    async def __call__(
        self, user_id: str, policy: SigningPolicy, actor: str | None = None
    ) -> PolicyInForce:
        async with self._uow as uow:
            wallet = await hold_wallet(uow, user_id)
            await uow.policies.put(wallet.id, policy)
            await record(uow, wallet, EventType.POLICY_SET, actor, policy.described())
            in_force = await self._gate.in_force(uow, wallet.id)
            await uow.commit()
        return in_force


class RemoveSigningPolicy:
    """Return the user's wallet to the deployment's default: remove its own policy and record a
    `policy_removed` event (only when it had one: removing nothing changes nothing). Returns the
    policy now in force. WalletNotFound.
    """

    def __init__(self, uow: UnitOfWork, gate: SigningGate) -> None:
        self._uow = uow
        self._gate = gate

    async def __call__(self, user_id: str, actor: str | None = None) -> PolicyInForce:
        async with self._uow as uow:
            wallet = await hold_wallet(uow, user_id)
            if await uow.policies.remove(wallet.id):
                await record(uow, wallet, EventType.POLICY_REMOVED, actor)
            in_force = await self._gate.in_force(uow, wallet.id)
            await uow.commit()
        return in_force
