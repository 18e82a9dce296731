"""Errors of the Stellar network: unreachable, an account missing or already there, and the
network's refusals of a transaction with its result codes.
"""

from domain.errors.base import DomainError


class NetworkUnavailable(DomainError):
    """The Stellar network (its Horizon server) is unreachable or did not answer in time.
    Nothing was recorded as submitted; the same request may succeed later. `cause` names the kind
    of failure, never a message.
    """

    def __init__(self, cause: str) -> None:
        super().__init__("the Stellar network is unavailable; retry later")
        self.cause = cause


class AccountNotOnNetwork(DomainError):
    """The account whose sequence number was to be read from the network does not exist there
    (it was never created, or was merged away).
    """

    def __init__(self, account_id: str) -> None:
        super().__init__(f"account {account_id} does not exist on the network")
        self.account_id = account_id


class AccountAlreadyOnNetwork(DomainError):
    """The account to be created exists on the network already (it was activated before)."""

    def __init__(self, account_id: str) -> None:
        super().__init__(f"account {account_id} exists on the network already")
        self.account_id = account_id


class NetworkRefusal(DomainError):
    """The network refused a transaction. `transaction` and `operations` are the result codes it
    gave (for example 'tx_failed' and ['op_success', 'op_low_reserve']).
    """

    def __init__(self, summary: str, transaction: str, operations: tuple[str, ...]) -> None:
        codes = ", ".join((transaction, *operations))
        super().__init__(f"{summary} ({codes})")
        self.transaction = transaction
        self.operations = operations


class BadSequence(NetworkRefusal):
    """The transaction's sequence number is not the next one of its source account."""

    def __init__(self, transaction: str = "tx_bad_seq", operations: tuple[str, ...] = ()) -> None:
        super().__init__(
            "the sequence number is not the next one of the source account",
            transaction,
            operations,
        )


class InsufficientFunds(NetworkRefusal):
    """An account lacks the balance or the reserve the transaction needs."""

    def __init__(self, transaction: str, operations: tuple[str, ...] = ()) -> None:
        super().__init__("an account lacks the balance or reserve needed", transaction, operations)


class NetworkRejected(NetworkRefusal):
    """Any other refusal of the transaction by the network."""

    def __init__(self, transaction: str, operations: tuple[str, ...] = ()) -> None:
        super().__init__("the network rejected the transaction", transaction, operations)
