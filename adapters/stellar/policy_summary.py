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
from stellar_sdk.signer_key import SignerKeyType

from adapters.crypto.stellar_signer import decode_envelope
from domain.policy import NATIVE, OperationSummary, TransactionSummary

_CAMEL = re.compile(r"^[A-Z]+")


class StellarTransactionSummaries:
    """Summaries of v0, v1 and fee-bump envelopes (base64 XDR) for a network. Muxed accounts
    count as the account they belong to. InvalidInput (Field.TRANSACTION_XDR) for what is not
    a canonical transaction envelope.
    """

    def summary(self, envelope_xdr: str, network_passphrase: str) -> TransactionSummary:
        decode_envelope(envelope_xdr)  # refuses what the signer would refuse, the same way
        if FeeBumpTransactionEnvelope.is_fee_bump_transaction_envelope(envelope_xdr):
            bump = FeeBumpTransactionEnvelope.from_xdr(envelope_xdr, network_passphrase)
            inner = bump.transaction.inner_transaction_envelope.transaction
            fee_source = _account(bump.transaction.fee_source)
            return TransactionSummary(
                _account(inner.source), tuple(map(_operation, inner.operations)), fee_source
            )
        transaction = TransactionEnvelope.from_xdr(envelope_xdr, network_passphrase).transaction
        return TransactionSummary(
            _account(transaction.source), tuple(map(_operation, transaction.operations))
        )


def _operation(operation: Operation) -> OperationSummary:
    name = type(operation).__name__
    source = None if operation.source is None else _account(operation.source)
    destinations, outgoing = _flows(operation)
    return OperationSummary(
        _CAMEL.sub(lambda m: m.group(0).lower(), name, count=1), source, destinations, outgoing
    )


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
    return (_account(operation.destination),), ()


@_flows.register
def _(operation: CreateClaimableBalance) -> Flows:
    claimants = tuple(claimant.destination for claimant in operation.claimants)
    return claimants, ((_asset(operation.asset), _dec(operation.amount)),)


@_flows.register
def _(operation: SetOptions) -> Flows:
    key = None if operation.signer is None else operation.signer.signer_key
    if key is None or key.signer_key_type != SignerKeyType.SIGNER_KEY_TYPE_ED25519:
        return (), ()
    return (key.encoded_signer_key,), ()


def _account(account: MuxedAccount | str) -> str:
    return account if isinstance(account, str) else account.account_id


def _asset(asset: Asset) -> str:
    return NATIVE if asset.is_native() else f"{asset.code}:{asset.issuer}"


def _dec(value: str | Decimal) -> Decimal:
    return Decimal(str(value))
