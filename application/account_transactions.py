"""What every transaction that sets up an account shares: built from the wallets' public keys,
signed by each wallet, each signing recorded, then, when asked, submitted to the network.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from application.signing_policy import SigningGate
from application.wallet_access import holding_all_opened, read_active, record
from domain.accounts import checked_sequence
from domain.audit import EventType
from domain.errors import AccountAlreadyOnNetwork, AccountNotOnNetwork, Field, InvalidInput
from domain.model import Wallet, check_network
from domain.ports import Cipher, Signed, StellarNetwork, Submission, TransactionSigner, UnitOfWork
from domain.secrets import EncryptionKey, SecretSeed


@dataclass(frozen=True, slots=True)
class AccountTransaction:
    """A transaction built and signed by the service's wallets: its envelope (base64 XDR), its
    hash for the network (hex), the account it sets up, the sponsor (an activation's; else
    None), the keys that signed it in order, and where the network applied it (None unless it
    was submitted).
    """

    transaction_xdr: str
    transaction_hash: str
    public_key: str
    sponsor_public_key: str | None
    signed_by: tuple[str, ...]
    submitted: Submission | None = None


@dataclass(frozen=True, slots=True)
class Signing:
    """How to sign: for which network, what to record on each wallet that signs, for whom, and
    the accounts that are party to the transaction (its signers, an activation's sponsor: as
    sources they are not foreign to each other's signing policies).
    """

    network_passphrase: str
    event_type: EventType
    details: Callable[[Wallet, Signed], dict[str, str]]
    actor: str | None
    parties: frozenset[str] = frozenset()


class AccountTransactions:
    """The steps shared by ActivateAccount and ChangeSigners: check the network (and whether
    submission is possible), read a sequence number from the network, sign and record, submit.
    """

    def __init__(  # noqa: PLR0913, PLR0917 - the collaborators every step shares
        self,
        uow: UnitOfWork,
        cipher: Cipher,
        signer: TransactionSigner,
        networks: frozenset[str],
        network: StellarNetwork | None,
        gate: SigningGate,
    ) -> None:
        self._uow = uow
        self._cipher = cipher
        self._signer = signer
        self._networks = networks
        self._network = network
        self._gate = gate

    async def check(
        self, network_passphrase: str, sequence: tuple[Field, int | None], *, submit: bool
    ) -> None:
        """InvalidInput for a network not allowed, `submit` without a configured network or for
        another network than the configured one's, or no sequence number (the field named) when
        it is not to be read from the network. Asks the network its passphrase (once) when
        submitting: NetworkUnavailable.
        """
        check_network(self._networks, network_passphrase)
        field, given = sequence
        if given is None and not submit:
            raise InvalidInput(field, "is required unless the transaction is submitted")
        if given is not None:
            checked_sequence(field, given)
        if submit and await self._configured().network_passphrase() != network_passphrase:
            raise InvalidInput(
                Field.NETWORK_PASSPHRASE, "is not the passphrase of the configured network"
            )

    async def ensure_absent(self, account: str) -> None:
        """AccountAlreadyOnNetwork unless the account is still to be created on the network."""
        try:
            await self._configured().sequence(account)
        except AccountNotOnNetwork:
            return
        raise AccountAlreadyOnNetwork(account)

    async def sequence(self, account: str, given: int | None) -> int:
        """`given`, else the account's sequence number read from the network
        (AccountNotOnNetwork, NetworkUnavailable).
        """
        if given is not None:
            return given
        return await self._configured().sequence(account)

    async def prepared(self, key: EncryptionKey) -> EncryptionKey:
        """The caller's key made ready (Cipher.prepare), before any unit of work opens."""
        return await self._cipher.prepare(key)

    async def read(self, user_ids: Sequence[str]) -> tuple[Wallet, ...]:
        """The users' active wallets (`read_active`)."""
        return await read_active(self._uow, user_ids)

    def _configured(self) -> StellarNetwork:
        if self._network is None:
            raise InvalidInput(Field.SUBMIT, "needs a Stellar network: none is configured")
        return self._network

    async def sign(
        self,
        seen: Sequence[tuple[Wallet, EncryptionKey]],
        envelope_xdr: str,
        signing: Signing,
    ) -> tuple[tuple[Wallet, ...], Signed]:
        """Sign the built transaction with each wallet (read already), in order, record a
        `signing.event_type` event on each, commit. Errors of `holding_all_opened`, and
        PolicyViolation when a wallet's signing policy refuses the transaction (judged before
        any wallet is opened, and again with the wallets held; a `sign_refused` event is
        recorded on that wallet). No store connection is held while the keys open the wallets.
        """

        async def sign_all(_: tuple[Wallet, ...], seeds: tuple[SecretSeed, ...]) -> Signed:
            signed = Signed(envelope_xdr, "")
            for seed in seeds:
                signed = self._signer.sign(signed.envelope_xdr, signing.network_passphrase, seed)
            return signed

        uow = self._uow
        screening = self._gate.screening(envelope_xdr, signing.network_passphrase, signing.parties)
        screen = self._gate.screen(screening)
        async with self._gate.recording_refusals(uow, screening, signing.actor):
            async with uow:
                await screen(uow, tuple(wallet for wallet, _ in seen), held=False)
            async with holding_all_opened(uow, self._cipher, seen, sign_all, screen) as (
                held,
                signed,
            ):
                for wallet in held:
                    details = signing.details(wallet, signed)
                    await record(uow, wallet, signing.event_type, signing.actor, details)
                await uow.commit()
        return held, signed

    async def submitted(self, signed: Signed, *, submit: bool) -> Submission | None:
        """The network's answer to the signed transaction when `submit`, else None. Called after
        the unit of work is over: no transaction stays open while the network is called.
        """
        if not submit:
            return None
        return await self._configured().submit(signed.envelope_xdr)
