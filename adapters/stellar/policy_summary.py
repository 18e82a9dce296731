"""What a signing policy needs to know of a transaction, read with stellar-sdk: each operation's
name, source, the accounts it sends value or control to, and what leaves its source by it.
"""

import re
from decimal import Decimal
from functools import singledispatch

from stellar_sdk import (
    AccountMerge,
    Asset,
    CreateAccount,
    CreateClaimableBalance,
    FeeBumpTransactionEnvelope,
    MuxedAccount,
    PathPaymentStrictReceive,
    PathPaymentStrictSend,
    Payment,
    SetOptions,
    TransactionEnvelope,
)
from stellar_sdk.operation import Operation

from adapters.crypto.stellar_signer import decode_envelope, hash_for, signatures_and_transaction
from domain.policy import NATIVE, WHOLE_BALANCE, OperationSummary, TransactionSummary

_CAMEL = re.compile(r"^[A-Z]+")


class StellarTransactionSummaries:
    """Summaries of v0, v1 and fee-bump envelopes (base64 XDR) for a network. Muxed accounts
    count as the account they belong to. InvalidInput (Field.TRANSACTION_XDR) for what is not
    a canonical transaction envelope.
    """

    def summary(self, envelope_xdr: str, network_passphrase: str) -> TransactionSummary:
        # Decoded once, as the signer decodes it (and refuses what it would refuse, the same
        # way); stellar-sdk's models are built from that XDR object, and the hash is the one
        # the signer signs.
        envelope = decode_envelope(envelope_xdr)
        transaction_hash = hash_for(signatures_and_transaction(envelope)[1], network_passphrase)
        if envelope.fee_bump is not None:
            bump = FeeBumpTransactionEnvelope.from_xdr_object(envelope, network_passphrase)
            inner = bump.transaction.inner_transaction_envelope.transaction
            return TransactionSummary(
                _account(inner.source),
                tuple(map(_operation, inner.operations)),
                _account(bump.transaction.fee_source),
                transaction_hash.hex(),
            )
        transaction = TransactionEnvelope.from_xdr_object(envelope, network_passphrase).transaction
        return TransactionSummary(
            _account(transaction.source),
            tuple(map(_operation, transaction.operations)),
            transaction_hash=transaction_hash.hex(),
        )

    def operation_names(self) -> frozenset[str]:
        return OPERATION_NAMES


def _operation(operation: Operation) -> OperationSummary:
    source = None if operation.source is None else _account(operation.source)
    destinations, outgoing = _flows(operation)
    return OperationSummary(_name(type(operation)), source, destinations, outgoing)


def _name(kind: type) -> str:
    """stellar-sdk's class name in camelCase: Payment: payment, SetOptions: setOptions."""
    return _CAMEL.sub(lambda m: m.group(0).lower(), kind.__name__, count=1)


def _subclasses(kind: type) -> set[type]:
    direct: set[type] = set(kind.__subclasses__())
    return direct.union(*(_subclasses(sub) for sub in direct))


OPERATION_NAMES = frozenset(_name(kind) for kind in _subclasses(Operation))
"""Every operation name a summary can hold: stellar-sdk's operation classes, in camelCase."""


Flows = tuple[tuple[str, ...], tuple[tuple[str, Decimal], ...]]
"""The accounts an operation sends value or control to, and what leaves its source by it."""


@singledispatch
def _flows(_: Operation) -> Flows:
    return (), ()


@_flows.register
def _(operation: Payment) -> Flows:
    return (_account(operation.destination),), ((_asset(operation.asset), _dec(operation.amount)),)


@_flows.register
def _(operation: PathPaymentStrictSend) -> Flows:
    sent = ((_asset(operation.send_asset), _dec(operation.send_amount)),)
    return (_account(operation.destination),), sent


@_flows.register
def _(operation: PathPaymentStrictReceive) -> Flows:
    sent = ((_asset(operation.send_asset), _dec(operation.send_max)),)
    return (_account(operation.destination),), sent


@_flows.register
def _(operation: CreateAccount) -> Flows:
    return (operation.destination,), ((NATIVE, _dec(operation.starting_balance)),)


@_flows.register
def _(operation: AccountMerge) -> Flows:
    """The whole native balance leaves (a merge needs every other balance gone first)."""
    return (_account(operation.destination),), ((NATIVE, WHOLE_BALANCE),)


@_flows.register
def _(operation: CreateClaimableBalance) -> Flows:
    claimants = tuple(claimant.destination for claimant in operation.claimants)
    return claimants, ((_asset(operation.asset), _dec(operation.amount)),)


@_flows.register
def _(operation: SetOptions) -> Flows:
    """A signer added or re-weighed receives control; one removed (weight 0) none. A signer of
    another kind than an account key (pre-authorized transaction, hash, signed payload) is named
    by its own StrKey, which no list of account keys allows.
    """
    if operation.signer is None or operation.signer.weight == 0:
        return (), ()
    return (operation.signer.signer_key.encoded_signer_key,), ()


def _account(account: MuxedAccount | str) -> str:
    return account if isinstance(account, str) else account.account_id


def _asset(asset: Asset) -> str:
    return NATIVE if asset.is_native() else f"{asset.code}:{asset.issuer}"


def _dec(value: str | Decimal) -> Decimal:
    return Decimal(str(value))
