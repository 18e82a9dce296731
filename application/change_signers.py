"""ChangeSigners: a change of the signers and thresholds of the user's account, guarded against
lockout, signed by its wallet.
"""

from dataclasses import dataclass

from application.account_transactions import AccountTransaction, AccountTransactions, Signing
from domain.accounts import SignerChange, Terms
from domain.audit import EventType
from domain.authorization import Signers, Thresholds
from domain.errors import Field
from domain.model import Wallet, check_id
from domain.ports import AccountTransactionBuilder, Signed
from domain.secrets import EncryptionKey

NEW_ACCOUNT_THRESHOLDS = Thresholds(0, 0, 0)


@dataclass(frozen=True, slots=True, repr=False)
class ChangeSignersRequest:
    """Change the signers of the account of `user_id`'s wallet. `current` are its signers now
    (its own key may be listed, for its master weight; else 1) and `current_thresholds` its
    thresholds now (a new account's: all 0). `sequence` is the account's current sequence number
    (None: read from the network, which needs `submit`).
    """

    user_id: str
    encryption_key: EncryptionKey
    sequence: int | None
    terms: Terms
    current: Signers
    add: Signers
    remove: tuple[str, ...]
    master_weight: int | None = None
    thresholds: Thresholds | None = None
    current_thresholds: Thresholds = NEW_ACCOUNT_THRESHOLDS
    allow_lockout: bool = False
    submit: bool = False
    actor: str | None = None


class ChangeSigners:
    """Build the SetOptions transaction that makes the change, from the wallet's account
    (sequence + 1), and sign it with the wallet (other signers the account already needs add
    their signatures with `sign`). The same request gives the same transaction and hash.

    InvalidInput: a network not allowed, keys that are not account keys, weights outside 0 to
    255, a key named twice, a change that changes nothing (and the other rules of SignerChange),
    no sequence without `submit`, `submit` without a network. Lockout, unless `allow_lockout`,
    when the resulting signers could never reach the high threshold. Then WalletNotFound,
    WalletSuspended, WalletKeyMismatch, EnvelopeTampered and the key-management errors, as for
    signing. A `signer_change_signed` event is recorded in the same transaction. With
    `submit`, as for ActivateAccount: the sequence may be read from the network, and the
    transaction is sent after the unit of work is over.
    """

    def __init__(self, steps: AccountTransactions, builder: AccountTransactionBuilder) -> None:
        self._steps = steps
        self._builder = builder

    async def __call__(self, request: ChangeSignersRequest) -> AccountTransaction:
        user_id = check_id(Field.USER_ID, request.user_id)
        await self._steps.check(
            request.terms.network_passphrase,
            (Field.SEQUENCE, request.sequence),
            submit=request.submit,
        )
        for field, keys in (
            (Field.CURRENT_SIGNERS, request.current.keys),
            (Field.ADD, request.add.keys),
        ):
            for index, signer in enumerate(keys):
                self._builder.check_account_key(field, signer, f"[{index}].key")
        for index, removed in enumerate(request.remove):
            self._builder.check_account_key(Field.REMOVE, removed, f"[{index}]")
        (wallet,) = await self._steps.read((user_id,))
        sequence = request.sequence
        if sequence is None:
            self._change(request, wallet.public_key, 0)  # its rules, before the network is asked
            sequence = await self._steps.sequence(wallet.public_key, None)
        change = self._change(request, wallet.public_key, sequence)
        envelope = self._builder.signer_change(change)

        def details(_: Wallet, signed: Signed) -> dict[str, str]:
            return _details(change, signed)

        signing = Signing(
            request.terms.network_passphrase,
            EventType.SIGNER_CHANGE_SIGNED,
            details,
            request.actor,
        )
        with await self._steps.prepared(request.encryption_key) as key:
            held, signed = await self._steps.sign(((wallet, key),), envelope, signing)
        submitted = await self._steps.submitted(signed, submit=request.submit)
        return AccountTransaction(
            signed.envelope_xdr,
            signed.transaction_hash,
            wallet.public_key,
            None,
            tuple(w.public_key for w in held),
            submitted,
        )

    @staticmethod
    def _change(request: ChangeSignersRequest, account: str, sequence: int) -> SignerChange:
        return SignerChange(
            account=account,
            sequence=sequence,
            current=request.current,
            add=request.add,
            remove=request.remove,
            master_weight=request.master_weight,
            thresholds=request.thresholds,
            current_thresholds=request.current_thresholds,
            allow_lockout=request.allow_lockout,
            terms=request.terms,
        )


def _details(change: SignerChange, signed: Signed) -> dict[str, str]:
    details = {
        "transaction_hash": signed.transaction_hash,
        "network_passphrase": change.terms.network_passphrase,
        "added": ",".join(f"{s.key}:{s.weight}" for s in change.add.members),
        "removed": ",".join(change.remove),
    }
    if change.master_weight is not None:
        details["master_weight"] = str(change.master_weight)
    if change.thresholds is not None:
        t = change.thresholds
        details["thresholds"] = f"{t.low},{t.medium},{t.high}"
    if change.allow_lockout:
        details["lockout_allowed"] = "true"
    return details
