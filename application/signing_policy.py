"""The signing gate: what a wallet signs is judged by the policy in force for it, before its
seed is opened and again, with its daily spending, in the transaction that records the
signature.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from application.wallet_access import Screen, hold_wallet, record
from domain.audit import EventType
from domain.errors import PolicyViolation
from domain.model import Wallet, utc_now
from domain.policy import (
    BUILT_IN_POLICY,
    PolicyInForce,
    PolicySource,
    SigningPolicy,
    TransactionSummary,
    judged,
)
from domain.ports import TransactionSummaries, UnitOfWork

DAY = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Screening:
    """One transaction to be signed, as the gate judges it: its summary, for which network, and
    the other accounts that sign it in the same request (not foreign to each other).
    """

    summary: TransactionSummary
    network_passphrase: str
    partners: frozenset[str] = frozenset()


class SigningGate:
    """The policy in force for each wallet (its own, else the deployment's `default`, else the
    built-in one), and the judgement of what the wallets are asked to sign by it.
    """

    def __init__(self, summaries: TransactionSummaries, default: SigningPolicy | None) -> None:
        self._summaries = summaries
        self._default = (
            PolicyInForce(BUILT_IN_POLICY, PolicySource.BUILT_IN)
            if default is None
            else PolicyInForce(default, PolicySource.DEPLOYMENT)
        )

    @property
    def operation_names(self) -> frozenset[str]:
        """The operation names a policy may list."""
        return self._summaries.operation_names()

    def screening(
        self, envelope_xdr: str, network_passphrase: str, partners: frozenset[str] = frozenset()
    ) -> Screening:
        """The transaction read for judging (InvalidInput for what is not an envelope)."""
        return Screening(
            self._summaries.summary(envelope_xdr, network_passphrase), network_passphrase, partners
        )

    async def in_force(self, uow: UnitOfWork, wallet_id: str) -> PolicyInForce:
        """The policy the wallet's signatures are judged by, and where it comes from."""
        own = await uow.policies.get(wallet_id)
        return self._default if own is None else PolicyInForce(own, PolicySource.WALLET)

    async def judge(
        self, uow: UnitOfWork, wallets: Sequence[Wallet], screening: Screening, *, held: bool
    ) -> None:
        """PolicyViolation for the first wallet whose policy refuses the transaction. When the
        wallets are `held` (for update, in the unit of work that records the signature), what
        leaves each is added to its spending, so that concurrent signatures are counted one
        after the other.
        """
        now = utc_now()
        for wallet in wallets:
            policy = (await self.in_force(uow, wallet.id)).policy
            outgoing = screening.summary.outgoing(wallet.public_key)
            spent = (
                await uow.spending.since(wallet.id, now - DAY)
                if any(_daily(policy, asset) for asset in outgoing)
                else {}
            )
            others = screening.partners - {wallet.public_key}
            violation = judged(policy, wallet.public_key, screening.summary, spent, others)
            if violation is not None:
                raise PolicyViolation(wallet.user_id, violation.rule, violation.operation)
            if held and any(outgoing.values()):
                await uow.spending.add(wallet.id, now, outgoing, keep_after=now - DAY)

    def screen(self, screening: Screening) -> Screen:
        """`judge` for the wallet operations of application.wallet_access."""

        async def judge(uow: UnitOfWork, wallets: tuple[Wallet, ...], *, held: bool) -> None:
            await self.judge(uow, wallets, screening, held=held)

        return judge

    @asynccontextmanager
    async def recording_refusals(
        self, uow: UnitOfWork, screening: Screening, actor: str | None
    ) -> AsyncIterator[None]:
        """Run the body; on PolicyViolation, record a `sign_refused` event on the refused
        wallet (rule, operation, transaction hash, network) in a unit of work of its own, and
        raise it again.
        """
        try:
            yield
        except PolicyViolation as refused:
            details = {
                "rule": refused.rule,
                "operation": "" if refused.operation is None else str(refused.operation),
                "transaction_hash": screening.summary.transaction_hash,
                "network_passphrase": screening.network_passphrase,
            }
            async with uow:
                wallet = await hold_wallet(uow, refused.user_id)
                await record(uow, wallet, EventType.SIGN_REFUSED, actor, details)
                await uow.commit()
            raise


def _daily(policy: SigningPolicy, asset: str) -> bool:
    limit = policy.limit_of(asset)
    return limit is not None and limit.per_day is not None
