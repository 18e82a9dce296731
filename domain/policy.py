"""Signing policies: what a wallet may sign, judged from a summary of the transaction before the
wallet's seed is opened. A missing list or limit restricts nothing of its kind; foreign sources
and foreign fee bumps are refused unless a policy allows them.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

NATIVE = "native"
WHOLE_BALANCE = Decimal("Infinity")
"""What an account merge sends: the whole balance, more than any limit allows."""


class Rule(StrEnum):
    """Which rule of a policy a transaction breaks."""

    FOREIGN_SOURCE = "foreign-source"
    FOREIGN_FEE_BUMP = "foreign-fee-bump"
    OPERATION_NOT_ALLOWED = "operation-not-allowed"
    DESTINATION_NOT_ALLOWED = "destination-not-allowed"
    PER_TRANSACTION_LIMIT = "per-transaction-limit"
    DAILY_LIMIT = "daily-limit"


@dataclass(frozen=True, slots=True)
class Limit:
    """How much of one asset (`native` or `CODE:ISSUER`) may leave the wallet, per transaction
    and per rolling day; None: no limit of that kind. An amount equal to a limit is within it.
    """

    asset: str
    per_transaction: Decimal | None = None
    per_day: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SigningPolicy:
    """What a wallet may sign. None for a list: anything of that kind."""

    allowed_operations: frozenset[str] | None = None
    allowed_destinations: frozenset[str] | None = None
    limits: tuple[Limit, ...] = ()
    allow_foreign_source: bool = False
    allow_foreign_fee_bump: bool = False

    def limit_of(self, asset: str) -> Limit | None:
        return next((limit for limit in self.limits if limit.asset == asset), None)

    def described(self) -> dict[str, str]:
        """The policy in words, for an audit event's details ('any': no restriction)."""
        return {
            "allowed_operations": _listed(self.allowed_operations),
            "allowed_destinations": _listed(self.allowed_destinations),
            "limits": "; ".join(
                f"{limit.asset} per transaction {_amount(limit.per_transaction)}, "
                f"per day {_amount(limit.per_day)}"
                for limit in self.limits
            )
            or "none",
            "allow_foreign_source": str(self.allow_foreign_source).lower(),
            "allow_foreign_fee_bump": str(self.allow_foreign_fee_bump).lower(),
        }


def _listed(names: frozenset[str] | None) -> str:
    return "any" if names is None else ",".join(sorted(names))


def _amount(value: Decimal | None) -> str:
    return "any" if value is None else format(value, "f")


BUILT_IN_POLICY = SigningPolicy()
"""With no policy anywhere: no foreign source, no foreign fee bump, anything else."""


class PolicySource(StrEnum):
    """Where the policy in force for a wallet comes from."""

    WALLET = "wallet"
    DEPLOYMENT = "deployment"
    BUILT_IN = "built-in"


@dataclass(frozen=True, slots=True)
class PolicyInForce:
    """The policy a wallet's signatures are judged by, and where it comes from."""

    policy: SigningPolicy
    source: PolicySource


@dataclass(frozen=True, slots=True)
class OperationSummary:
    """One operation, as a policy sees it: its name (stellar-sdk's class name in camelCase),
    its source account (None: the transaction's), the accounts it sends value or control to,
    and what leaves the wallet by it (asset, amount).
    """

    name: str
    source: str | None
    destinations: tuple[str, ...] = ()
    outgoing: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class TransactionSummary:
    """A transaction as a policy sees it; for a fee-bump envelope `source` is the inner
    transaction's and `fee_source` the fee payer's (None otherwise). `transaction_hash` (hex)
    is the hash a signature covers (the fee bump's for a fee-bump envelope: a signature on it
    pays the fee, and authorizes none of the inner operations, which their own signatures do).
    """

    source: str
    operations: tuple[OperationSummary, ...]
    fee_source: str | None = None
    transaction_hash: str = ""

    def outgoing(self, wallet: str) -> dict[str, Decimal]:
        """What leaves the wallet by the operations it is the source of, per asset (nothing by
        a fee bump: the inner transaction was, or will be, signed and counted on its own).
        """
        if self.fee_source is not None:
            return {}
        totals: dict[str, Decimal] = {}
        for operation in self.operations:
            if (operation.source or self.source) != wallet:
                continue
            for asset, value in operation.outgoing:
                totals[asset] = totals.get(asset, Decimal(0)) + value
        return totals


@dataclass(frozen=True, slots=True)
class Violation:
    """The first rule a transaction breaks, and the 0-based index of the operation that breaks
    it (None for a rule of the whole transaction).
    """

    rule: Rule
    operation: int | None = None


def judged(
    policy: SigningPolicy,
    wallet: str,
    transaction: TransactionSummary,
    spent_today: Mapping[str, Decimal],
    partners: frozenset[str] = frozenset(),
) -> Violation | None:
    """The first rule the transaction breaks for the wallet (public key `wallet`), in this
    order: sources, fee bump, operations, destinations, per-transaction limits, daily limits
    (`spent_today`: what the wallet signed away in the last 24 hours, per asset); None if it
    breaks none. `partners` are the other accounts that sign this same transaction in the same
    request (an activation's sponsor and new account): as sources they are not foreign. A
    fee-bump envelope is judged by its payer and its inner source only: the wallet's signature
    on it pays the fee, and authorizes none of the inner operations.
    """
    own = frozenset((wallet, *partners))
    if transaction.fee_source is not None:
        return _fee_bump_violation(policy, own, transaction)
    return (
        _source_violation(policy, own, transaction)
        or _operation_violation(policy, wallet, transaction)
        or _over_limits(policy, wallet, transaction, spent_today)
    )


def _source_violation(
    policy: SigningPolicy, own: frozenset[str], transaction: TransactionSummary
) -> Violation | None:
    """The transaction's source, then every operation's."""
    foreign_allowed = policy.allow_foreign_source
    if transaction.source not in own and not foreign_allowed:
        return Violation(Rule.FOREIGN_SOURCE)
    for index, operation in enumerate(transaction.operations):
        if operation.source is not None and operation.source not in own and not foreign_allowed:
            return Violation(Rule.FOREIGN_SOURCE, index)
    return None


def _fee_bump_violation(
    policy: SigningPolicy, own: frozenset[str], transaction: TransactionSummary
) -> Violation | None:
    """A fee bump's payer, then its inner transaction's source."""
    if transaction.fee_source not in own and not policy.allow_foreign_source:
        return Violation(Rule.FOREIGN_SOURCE)
    if transaction.source not in own and not policy.allow_foreign_fee_bump:
        return Violation(Rule.FOREIGN_FEE_BUMP)
    return None


def _operation_violation(
    policy: SigningPolicy, wallet: str, transaction: TransactionSummary
) -> Violation | None:
    """Operations not allowed, then destinations not allowed (the wallet itself always is)."""
    allowed = policy.allowed_operations
    for index, operation in enumerate(transaction.operations):
        if allowed is not None and operation.name not in allowed:
            return Violation(Rule.OPERATION_NOT_ALLOWED, index)
    if policy.allowed_destinations is None:
        return None
    destinations = policy.allowed_destinations | {wallet}
    for index, operation in enumerate(transaction.operations):
        if not set(operation.destinations) <= destinations:
            return Violation(Rule.DESTINATION_NOT_ALLOWED, index)
    return None


def _over_limits(
    policy: SigningPolicy,
    wallet: str,
    transaction: TransactionSummary,
    spent_today: Mapping[str, Decimal],
) -> Violation | None:
    for asset, total in transaction.outgoing(wallet).items():
        limit = policy.limit_of(asset)
        if limit is None:
            continue
        if limit.per_transaction is not None and total > limit.per_transaction:
            return Violation(Rule.PER_TRANSACTION_LIMIT, _first_of(transaction, wallet, asset))
        spent = spent_today.get(asset, Decimal(0))
        if limit.per_day is not None and spent + total > limit.per_day:
            return Violation(Rule.DAILY_LIMIT, _first_of(transaction, wallet, asset))
    return None


def _first_of(transaction: TransactionSummary, wallet: str, asset: str) -> int | None:
    """The first operation by which `asset` leaves the wallet."""
    for index, operation in enumerate(transaction.operations):
        mine = (operation.source or transaction.source) == wallet
        if mine and any(sent == asset for sent, _ in operation.outgoing):
            return index
    return None
