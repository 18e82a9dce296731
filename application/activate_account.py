"""ActivateAccount: a sponsored activation of the user's wallet, signed by the wallets held here."""

from dataclasses import dataclass

from application.account_transactions import AccountTransaction, AccountTransactions, Signing
from domain.accounts import Activation, Terms, Trustline, trustlines
from domain.audit import EventType
from domain.errors import (
    AccountAlreadyOnNetwork,
    Field,
    InvalidInput,
    NetworkRejected,
    SponsorKeyMismatch,
    WalletKeyMismatch,
)
from domain.model import Wallet, check_id
from domain.ports import AccountTransactionBuilder, Signed
from domain.secrets import EncryptionKey


@dataclass(frozen=True, slots=True, repr=False)
class HeldSponsor:
    """A sponsor whose wallet this service holds: it signs too."""

    user_id: str
    encryption_key: EncryptionKey


@dataclass(frozen=True, slots=True, repr=False)
class ActivateRequest:
    """Activate the wallet of `user_id`, sponsored by `sponsor` (a wallet held here, or the
    public key of an account held elsewhere), with `trustlines`. `sponsor_sequence` is the
    sponsor account's current sequence number (None: read from the network, which needs
    `submit`).
    """

    user_id: str
    encryption_key: EncryptionKey
    sponsor: HeldSponsor | str
    sponsor_sequence: int | None
    trustlines: tuple[Trustline, ...]
    terms: Terms
    submit: bool = False
    actor: str | None = None


class ActivateAccount:
    """Build and sign the sponsored activation of the user's wallet: from the sponsor's account
    (sequence + 1), BeginSponsoringFutureReserves, CreateAccount (starting balance 0), one
    ChangeTrust per trustline, EndSponsoringFutureReserves. The sponsor signs first when its
    wallet is held here, then the user's wallet; a sponsor held elsewhere adds its signature
    itself. The same request gives the same transaction and hash.

    InvalidInput: a network not allowed, malformed trustlines or keys, a sponsor that is the
    wallet itself, a fee over its limit, no sponsor sequence without `submit`, `submit` without
    a network. Then WalletNotFound and WalletSuspended (for either wallet), WalletKeyMismatch
    (the user's key) or SponsorKeyMismatch (the sponsor's), EnvelopeTampered and the
    key-management errors, as for signing. An `activation_signed` event is recorded on each
    wallet that signed, in one transaction. With `submit`, the sponsor's sequence number may be
    read from the network first (AccountNotOnNetwork, NetworkUnavailable), and the signed
    transaction is sent after the unit of work is over (BadSequence, InsufficientFunds,
    NetworkRejected, NetworkUnavailable): no transaction stays open while the network answers.
    The network must be the request's (InvalidInput). AccountAlreadyOnNetwork when the account
    exists there already: checked before anything is signed when the sponsor's sequence is to
    be read (a retry would build another transaction), and when the network refuses the
    creation as such. A retry with the same sponsor sequence is the same transaction, which the
    network answers as already applied.
    """

    def __init__(self, steps: AccountTransactions, builder: AccountTransactionBuilder) -> None:
        self._steps = steps
        self._builder = builder

    async def __call__(self, request: ActivateRequest) -> AccountTransaction:
        user_id = check_id(Field.USER_ID, request.user_id)
        lines = trustlines(request.trustlines)
        request.terms.check_fee(3 + len(lines))
        await self._steps.check(
            request.terms.network_passphrase,
            (Field.SPONSOR_SEQUENCE, request.sponsor_sequence),
            submit=request.submit,
        )
        sponsor = request.sponsor
        if isinstance(sponsor, HeldSponsor):
            if check_id(Field.SPONSOR_USER_ID, sponsor.user_id) == user_id:
                raise InvalidInput(Field.SPONSOR, "is the wallet itself")
        else:
            self._builder.check_account_key(Field.SPONSOR_PUBLIC_KEY, sponsor)
        for index, line in enumerate(lines):
            self._builder.check_account_key(Field.TRUSTLINES, line.issuer, f"[{index}].issuer")
        with await self._steps.prepared(request.encryption_key) as key:
            if not isinstance(sponsor, HeldSponsor):
                return await self._activate(request, key, None)
            with await self._steps.prepared(sponsor.encryption_key) as sponsor_key:
                try:
                    return await self._activate(request, key, sponsor_key)
                except WalletKeyMismatch as mismatch:
                    if mismatch.user_id == sponsor.user_id:
                        raise SponsorKeyMismatch(sponsor.user_id) from None
                    raise

    async def _activate(
        self, request: ActivateRequest, key: EncryptionKey, sponsor_key: EncryptionKey | None
    ) -> AccountTransaction:
        sponsor = request.sponsor
        seen: tuple[tuple[Wallet, EncryptionKey], ...]
        if isinstance(sponsor, HeldSponsor) and sponsor_key is not None:
            sponsor_wallet, wallet = await self._steps.read((sponsor.user_id, request.user_id))
            sponsor_public_key = sponsor_wallet.public_key
            seen = ((sponsor_wallet, sponsor_key), (wallet, key))
        else:
            (wallet,) = await self._steps.read((request.user_id,))
            sponsor_public_key = str(sponsor)
            seen = ((wallet, key),)
        account = wallet.public_key
        if sponsor_public_key == account:
            raise InvalidInput(Field.SPONSOR, "is the wallet itself")
        if request.submit and request.sponsor_sequence is None:
            # A retry would read the next sequence number and build another transaction.
            await self._steps.ensure_absent(account)
        sequence = await self._steps.sequence(sponsor_public_key, request.sponsor_sequence)
        envelope = self._builder.activation(
            Activation(account, sponsor_public_key, sequence, request.trustlines, request.terms)
        )

        def details(signing: Wallet, signed: Signed) -> dict[str, str]:
            return {
                "transaction_hash": signed.transaction_hash,
                "network_passphrase": request.terms.network_passphrase,
                "role": "account" if signing.public_key == account else "sponsor",
                "account": account,
                "sponsor": sponsor_public_key,
            }

        held, signed = await self._steps.sign(
            seen,
            envelope,
            Signing(
                request.terms.network_passphrase,
                EventType.ACTIVATION_SIGNED,
                details,
                request.actor,
                frozenset((account, sponsor_public_key)),
            ),
        )
        try:
            submitted = await self._steps.submitted(signed, submit=request.submit)
        except NetworkRejected as rejected:
            if "op_already_exists" in rejected.operations:
                raise AccountAlreadyOnNetwork(account) from None
            raise
        return AccountTransaction(
            signed.envelope_xdr,
            signed.transaction_hash,
            account,
            sponsor_public_key,
            tuple(w.public_key for w in held),
            submitted,
        )
