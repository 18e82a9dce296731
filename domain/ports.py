"""Ports: what the use cases need from the outside world, as Protocols with their contracts."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from domain.accounts import Activation, SignerChange
from domain.audit import WalletEvent
from domain.authorization import InspectedEnvelope
from domain.errors import Field
from domain.idempotency import IdempotencyRecord, KeptResponse
from domain.model import KeyPair, User, Wallet, WalletBinding
from domain.policy import SigningPolicy, TransactionSummary
from domain.recovery import Escrow
from domain.secrets import EncryptionKey, SecretSeed


class UserRepository(Protocol):
    """Users, seen through one unit of work. Writes become visible to others only on commit."""

    async def get(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        ...

    async def get_by_email(self, email: str) -> User | None:
        """The user with this exact email, or None."""
        ...

    async def add(self, user: User) -> bool:
        """Insert the user. False, with nothing written, when its id or email is already taken
        (including by a concurrent transaction that commits first). Needs a commit.
        """
        ...


class WalletRepository(Protocol):
    """Wallets, seen through one unit of work. The store allows at most one wallet per user."""

    async def get_by_user(self, user_id: str, *, for_update: bool = False) -> Wallet | None:
        """The wallet of this user, or None. With `for_update`, the wallet is locked until this
        unit of work ends: another unit of work asking for it with `for_update` waits, so that
        read-modify-write sequences on one wallet never interleave.
        """
        ...

    async def get_by_existing_user(self, user_id: str) -> Wallet | None:
        """The wallet of this user, or None if the user has none; UserNotFound when no user has
        this id. One read: it tells both at the cost of `get_by_user`.
        """
        ...

    async def page_for_update(self, after_id: str | None, limit: int) -> list[Wallet]:
        """Up to `limit` wallets with ids greater than `after_id`, in id order, locked as with
        `for_update`.
        """
        ...

    async def read_ids(self, after_id: str | None, limit: int) -> list[str]:
        """Up to `limit` wallet ids greater than `after_id`, in order; read only, not locked."""
        ...

    async def update(self, wallet: Wallet) -> None:
        """Store the wallet's mutable fields (encrypted key, status, export time, updated time).
        The wallet should have been read `for_update` in this unit of work. Needs a commit.
        """
        ...

    async def add(self, wallet: Wallet, created: WalletEvent | None = None) -> Wallet:
        """Insert the wallet unless its user already has one, and return the user's wallet:
        the given one if it was inserted, else the one already stored (a concurrent creation
        that committed first wins). `created`, the wallet's first audit event, is inserted with
        it, and only if it is inserted. Raises UserNotFound when the user does not exist,
        PublicKeyTaken when another wallet has this public key. Needs a commit.
        """
        ...


class WalletEventRepository(Protocol):
    """The append-only audit trail of each wallet, seen through one unit of work."""

    async def last(self, wallet_id: str) -> WalletEvent | None:
        """The wallet's latest event, or None if it has none."""
        ...

    async def append(self, event: WalletEvent) -> None:
        """Add the event, which must follow `last` (callers hold the wallet `for_update`).
        Needs a commit.
        """
        ...

    async def after(self, wallet_id: str, after_sequence: int, limit: int) -> list[WalletEvent]:
        """Up to `limit` events of the wallet with sequence numbers above `after_sequence`,
        in order.
        """
        ...


class EscrowRepository(Protocol):
    """Each wallet's escrow (its seed sealed to the recovery key), seen through one unit of work;
    at most one per wallet.
    """

    async def get(self, wallet_id: str) -> Escrow | None:
        """The wallet's escrow, or None."""
        ...

    async def put(self, escrow: Escrow) -> None:
        """Store the wallet's escrow, replacing the one it had (the wallet must exist, and
        should be held `for_update` or be inserted in this unit of work). Needs a commit.
        """
        ...


class PolicyRepository(Protocol):
    """Each wallet's own signing policy, seen through one unit of work; at most one per wallet.
    A wallet without one is judged by the deployment's default.
    """

    async def get(self, wallet_id: str) -> SigningPolicy | None:
        """The wallet's own policy, or None."""
        ...

    async def put(self, wallet_id: str, policy: SigningPolicy) -> None:
        """Store the wallet's own policy, replacing the one it had (the wallet must exist and
        be held `for_update`). Needs a commit.
        """
        ...

    async def remove(self, wallet_id: str) -> bool:
        """Remove the wallet's own policy; whether it had one. Needs a commit."""
        ...


class SpendingRepository(Protocol):
    """What each wallet signed away, per asset, kept long enough for daily limits."""

    async def since(self, wallet_id: str, moment: datetime) -> dict[str, Decimal]:
        """What the wallet signed away from `moment` on, summed per asset."""
        ...

    async def add(
        self,
        wallet_id: str,
        moment: datetime,
        amounts: Mapping[str, Decimal],
        *,
        keep_after: datetime,
    ) -> None:
        """Record what the wallet signed away at `moment` (the wallet must be held
        `for_update`, so that the check and the record of concurrent signatures are serial),
        and forget its records from before `keep_after`. Needs a commit.
        """
        ...


class IdempotencyRepository(Protocol):
    """Each API token's idempotency keys, seen through one unit of work."""

    async def claim(self, record: IdempotencyRecord) -> bool:
        """Take the record's key for its token, unless a record holds it that has not expired
        by the record's `started_at` (an expired one is replaced); whether it was taken. A
        concurrent claim of the same key waits for this unit of work to end. Needs a commit.
        """
        ...

    async def get(self, token_id: str, key: str) -> IdempotencyRecord | None:
        """The token's record of the key, expired or not, or None."""
        ...

    async def take_over(self, record: IdempotencyRecord, started_at: datetime) -> bool:
        """Restart an unanswered record (its runner died) at `started_at`, if it is still as
        read (same `started_at`, no answer); whether it was. Needs a commit.
        """
        ...

    async def answer(self, token_id: str, key: str, response: KeptResponse) -> None:
        """Keep the answer of the key's request. Needs a commit."""
        ...

    async def remove(self, token_id: str, key: str) -> None:
        """Forget the key (its request's answer is not to be kept). Needs a commit."""
        ...

    async def purge(self, now: datetime, limit: int) -> int:
        """Delete at most `limit` records expired by `now`; how many. Needs a commit."""
        ...


class UnitOfWork(Protocol):
    """One transaction. `async with uow:` opens it and exposes `users`, `wallets` and `events`;
    leaving the block without `await uow.commit()`, or by an exception, rolls everything back.
    A store that cannot do the work now (unreachable, busy, deadline passed, connection lost)
    raises StoreUnavailable, from any method or from leaving the block: nothing was changed.
    """

    users: UserRepository
    wallets: WalletRepository
    events: WalletEventRepository
    escrows: EscrowRepository
    policies: PolicyRepository
    spending: SpendingRepository
    idempotency: IdempotencyRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every write of this unit of work durable and visible, atomically."""
        ...


class KeyGenerator(Protocol):
    """Source of new Stellar keypairs."""

    def generate(self) -> KeyPair:
        """A new random ed25519 keypair: StrKey public key ('G...') and 32-byte seed."""
        ...

    def public_key_of(self, seed: SecretSeed) -> str:
        """The StrKey public key ('G...') of a 32-byte seed."""
        ...


class Cipher(Protocol):
    """Authenticated encryption of seeds under the caller's key, bound to one wallet, and, where
    a key-management backend is configured, under a second factor that the backend holds.

    The slow part (stretching the caller's key) is `prepare`'s: call it before a unit of work
    opens, so that no connection or lock is held while a key is derived, and pass what it
    returns to `encrypt` and `decrypt`, which then only seal and open. They accept any
    EncryptionKey, though: one that was not prepared, or an envelope written at other
    parameters (an older cost), is stretched there and then.
    """

    async def prepare(self, key: EncryptionKey) -> EncryptionKey:
        """The same key, made ready for sealing at the current parameters and opening the
        envelopes sealed at them (for example a PreparedKey holding its stretched form). The
        caller wipes it. May take a key-derivation slot: KeyDerivationBusy when none frees up
        within the deadline. Touches no store; may read the deployment's salt once
        (StoreUnavailable).
        """
        ...

    async def encrypt(self, seed: SecretSeed, key: EncryptionKey, binding: WalletBinding) -> str:
        """A self-describing text envelope of the seed, openable only with the same key and
        binding.
        """
        ...

    async def decrypt(
        self, envelope: str, key: EncryptionKey, binding: WalletBinding
    ) -> SecretSeed:
        """The seed sealed in the envelope. Raises WalletKeyMismatch when the envelope was sealed
        under another key, EnvelopeTampered when it is damaged, altered, bound to another wallet,
        or asks for a key-derivation cost above the deployment's ceiling (it is then not derived
        at all). With a second factor: KmsUnavailable (backend unreachable, slow, sealed),
        KmsRefused (it refuses), KmsKeyMismatch (the envelope's factor is another backend
        key's). An envelope at parameters other than the prepared key's is derived here
        (KeyDerivationBusy as for `prepare`).
        """
        ...

    async def rewrap(self, envelope: str, binding: WalletBinding) -> str | None:
        """The envelope with its second factor wrapped by the key-management backend's newest
        key, needing no caller key; None when it already is, or when the envelope has no second
        factor (v1). Errors as for `decrypt`'s backend part: KmsUnavailable, KmsRefused,
        KmsKeyMismatch, EnvelopeTampered.
        """
        ...

    def is_current(self, envelope: str) -> bool:
        """Whether `encrypt` would write an envelope of this kind now (same version and
        key-management backend): False for the v1 envelopes of a deployment that has a backend.
        """
        ...


class TransactionSigner(Protocol):
    """Adds a wallet's signature to a Stellar transaction without changing anything else."""

    def sign(self, envelope_xdr: str, network_passphrase: str, seed: SecretSeed) -> "Signed":
        """The base64 XDR of the transaction envelope (or fee-bump envelope) with one more
        signature, by the keypair of `seed`, over the transaction's hash for that network.
        Raises InvalidInput when `envelope_xdr` is not a transaction envelope.
        """
        ...


class TransactionInspector(Protocol):
    """Reads who signed a Stellar transaction and what it needs, changing nothing."""

    def inspect(
        self, envelope_xdr: str, network_passphrase: str, keys: tuple[str, ...]
    ) -> InspectedEnvelope:
        """For the transaction of a v0, v1 or fee-bump envelope (base64 XDR), and for a fee-bump
        one also for its outer transaction: the hash for that network, the threshold category it
        needs (the highest of its operations'; LOW for a fee bump), which of `keys` have a
        signature that verifies over that hash, and how many signatures match none of them.
        Raises InvalidInput when `envelope_xdr` is not a transaction envelope
        (Field.TRANSACTION_XDR) or a key is not an ed25519 account key, 'G...' (Field.SIGNERS).
        Needs no store and no secret.
        """
        ...


class TransactionSummaries(Protocol):
    """Reads what a signing policy needs to know of a transaction. Needs no store, no secret."""

    def summary(self, envelope_xdr: str, network_passphrase: str) -> TransactionSummary:
        """The summary of a v0, v1 or fee-bump envelope (base64 XDR) for that network: sources,
        operations (names as stellar-sdk's classes, in camelCase), destinations, what leaves
        each source, and the hash a signature covers. InvalidInput (Field.TRANSACTION_XDR) for
        what is not a transaction envelope.
        """
        ...

    def operation_names(self) -> frozenset[str]:
        """Every operation name a summary can hold."""
        ...


class AccountTransactionBuilder(Protocol):
    """Builds the unsigned transactions that set Stellar accounts up, deterministically: the same
    plan gives the same envelope, byte for byte. Needs no store, no secret and no network.
    """

    def check_account_key(self, field: Field, key: str, where: str = "") -> None:
        """Raise InvalidInput(field, ...) naming `where` unless `key` is an ed25519 account key
        ('G...'; muxed, pre-auth and hash-x keys are not).
        """
        ...

    def activation(self, plan: Activation) -> str:
        """The base64 XDR of the plan's sponsored activation, unsigned. InvalidInput when a key
        in it is not an account key.
        """
        ...

    def signer_change(self, plan: SignerChange) -> str:
        """The base64 XDR of the plan's SetOptions transaction from its account, unsigned.
        InvalidInput when a key in it is not an account key.
        """
        ...


class StellarNetwork(Protocol):
    """A Stellar network, reached through a Horizon server: read sequence numbers, submit
    transactions. Every call is bounded by a deadline; none holds a store connection.
    """

    async def sequence(self, account_id: str) -> int:
        """The account's current sequence number. AccountNotOnNetwork when it does not exist;
        NetworkUnavailable when the server is unreachable, answers 5xx or not in time.
        """
        ...

    async def network_passphrase(self) -> str:
        """The passphrase of the network this server is on (read once). NetworkUnavailable as
        for `sequence`.
        """
        ...

    async def submit(self, envelope_xdr: str) -> "Submission":
        """Submit a signed transaction envelope (base64 XDR) and wait for its ledger. A
        transaction that the network already holds as applied (a retry of one that landed) is
        reported as submitted, not refused. Refusals raise BadSequence, InsufficientFunds
        (underfunded, low reserve, insufficient fee balance) or NetworkRejected (anything
        else), each with the network's result codes; NetworkUnavailable when the server is
        unreachable, answers 5xx or not in time (the transaction may still land: resubmitting
        the same envelope is safe).
        """
        ...


class EscrowOpener(Protocol):
    """The recovery key's private half, rebuilt from its shares for one restore."""

    @property
    def public_key(self) -> str:
        """The recovery key's public half (base64), as WALLET_RECOVERY_PUBLIC_KEY spells it."""
        ...

    def open(self, sealed_seed: str) -> SecretSeed:
        """The seed in an escrow sealed to this key (the caller wipes it). Raises
        EscrowUnreadable when it is not sealed to this key or is damaged.
        """
        ...


class SeedSealer(Protocol):
    """Seals a seed to a recipient's X25519 public key (anonymous sender, e.g. a sealed box)."""

    def seal(self, seed: SecretSeed, recipient_public_key: str) -> str:
        """The sealed seed, base64. Only the recipient's private key opens it. Raises
        InvalidInput when `recipient_public_key` is not a base64 32-byte key.
        """
        ...


@dataclass(frozen=True, slots=True)
class Submission:
    """A transaction applied by the network: its hash (hex) and the ledger that holds it."""

    transaction_hash: str
    ledger: int


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed transaction envelope and the hash that was signed (hex)."""

    envelope_xdr: str
    transaction_hash: str
