"""CreateUserWallet: the orchestrator that gives a user exactly one wallet."""

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from application.escrow import NO_ESCROW, Escrowing
from application.results import WalletResult
from application.wallet_access import seal_checked, verify_key
from application.wallet_owners import WalletOwners
from domain.audit import EventType, WalletEvent
from domain.errors import Field, WalletExistsUnderAnotherKey, WalletKeyMismatch
from domain.model import Wallet, WalletBinding, check_id
from domain.ports import Cipher, KeyGenerator, UnitOfWork, WalletCreations
from domain.recovery import Escrow
from domain.secrets import EncryptionKey


@dataclass(frozen=True, slots=True, repr=False)
class CreateWalletRequest:
    """Create (or fetch) the wallet of `user_id`, its seed encrypted under `encryption_key`."""

    user_id: str
    encryption_key: EncryptionKey
    actor: str | None = None


class CreateUserWallet:
    """Give the user exactly one wallet, atomically and idempotently.

    First, in a unit of work of its own, the user's wallet is read together with the user's
    existence: UserNotFound when there is no such user, before any key is derived or keypair
    generated. Then, outside any unit of work, the key is prepared (stretched, or taken from the
    cache): no connection or lock is held while a key is derived (KeyDerivationBusy when no
    derivation slot frees up in time). If the user has a wallet, check that the key opens it
    (`Cipher.verify`; WalletExistsUnderAnotherKey if not, EnvelopeTampered if it is damaged) and
    return it with created=False; a key the cipher knows to open that very envelope
    (`Cipher.opened_before`) is not even prepared. Else generate a keypair, encrypt its seed
    under the key bound to the user and public key, and check that the envelope opens back to
    that seed (SealingFailed if not); then store it with its `created` audit event by `actor`
    through `creations`, in one atomic step (UserNotFound if the user was deleted meanwhile: the
    foreign key decides), and return it with created=True. The database's one-wallet-per-user
    constraint decides races: the loser returns the winner's wallet as a replay, once the key
    opens it. A failure stores nothing, leaving nothing behind.

    With a recovery key configured (`escrowing`), the seed is also sealed to it and stored with
    the wallet, in the same step: a wallet is never stored without its escrow.

    Opening and sealing happen between units of work, never inside one: with a key-management
    backend they wait for it (KmsUnavailable, KmsRefused, KmsKeyMismatch), and no connection
    waits with them.

    Reading first costs no extra round trip: the read is needed anyway, and its unit of work
    closes before the derivation starts. An unknown user costs that one read, whatever the key.
    The read goes through `reader` (a read-only unit of work will do): a replay then writes
    nothing and opens no transaction.

    Adding first: where `creations.add_first` (a user's wallet comes back from `add` in the
    round trip a read would take) and the key is ready to seal at once (`Cipher.ready_to_seal`:
    already stretched, no key-management backend), the read is skipped: the keypair is
    generated, sealed and added straight away, and a user who has a wallet gets it back from
    `add`, as a replay. A new wallet then costs one round trip instead of two; a replay or an
    unknown user costs the keypair and sealing that were not needed (nothing is stored), and
    still no key derivation. Users that `owners` has lately seen with a wallet are read first
    all the same: their creation is most likely a replay.
    """

    def __init__(  # noqa: PLR0913 - four ports, then the options by name
        self,
        reader: UnitOfWork,
        creations: WalletCreations,
        key_generator: KeyGenerator,
        cipher: Cipher,
        *,
        escrowing: Escrowing = NO_ESCROW,
        owners: WalletOwners | None = None,
    ) -> None:
        self._reader = reader
        self._creations = creations
        self._key_generator = key_generator
        self._cipher = cipher
        self._escrowing = escrowing
        self._owners = WalletOwners() if owners is None else owners

    async def __call__(self, request: CreateWalletRequest) -> WalletResult:
        with self.key_once(request.encryption_key) as key:
            return await self.under(key, request.user_id, request.actor)

    def key_once(self, encryption_key: EncryptionKey) -> "KeyOnce":
        """The caller's key, to be prepared by this creation's cipher when first needed."""
        return KeyOnce(self._cipher, encryption_key)

    async def under(self, key: "KeyOnce", user_id: str, actor: str | None) -> WalletResult:
        """The whole creation for one user, the key prepared by `key` when first needed (after
        the read): what `__call__` does, and what CreateWallets does for each item of a batch.
        """
        user_id = check_id(Field.USER_ID, user_id)
        if self._creations.add_first and user_id not in self._owners:
            ready = await key.ready_to_seal()
            if ready is not None:
                return await self._create(user_id, ready, actor)
        async with self._reader as reader:
            existing = await reader.wallets.get_by_existing_user(user_id)
        if existing is not None:
            self._owners.remember(user_id)
            if not self._cipher.opened_before(
                existing.encrypted_key, key.caller_key, existing.binding
            ):
                await self._check_key_opens(existing, await key.prepared())
            return WalletResult.of(existing)
        return await self._create(user_id, await key.prepared(), actor)

    async def _create(self, user_id: str, key: EncryptionKey, actor: str | None) -> WalletResult:
        wallet, escrow = await self._new_wallet(user_id, key)
        created = WalletEvent.after(None, wallet.id, EventType.CREATED, actor)
        stored = await self._creations.add(wallet, created, escrow)
        self._owners.remember(user_id)
        if stored.id != wallet.id:
            await self._check_key_opens(stored, key)
            return WalletResult.of(stored)
        return WalletResult.of(stored, created=True)

    async def _new_wallet(self, user_id: str, key: EncryptionKey) -> tuple[Wallet, Escrow | None]:
        """A new keypair, its seed sealed under the key, and proof the envelope opens to it;
        and its escrow, when a recovery key is configured.
        """
        keypair = self._key_generator.generate()
        binding = WalletBinding(user_id, keypair.public_key)
        with keypair.seed:
            envelope = await seal_checked(self._cipher, keypair.seed, key, binding)
            wallet = Wallet.create_for(user_id, keypair.public_key, envelope)
            return wallet, self._escrowing.sealed(wallet.id, keypair.seed)

    async def _check_key_opens(self, wallet: Wallet, key: EncryptionKey) -> None:
        try:
            await verify_key(self._cipher, wallet, key)
        except WalletKeyMismatch:
            raise WalletExistsUnderAnotherKey(wallet.user_id) from None


class KeyOnce:
    """The caller's key, prepared by the cipher (stretched, or taken from the cache) the first
    time a creation needs it, then kept for every later one: one preparation for a whole batch,
    and none at all while every user asked for is unknown. Use it as a context manager: what
    was prepared is wiped on exit (the caller's key itself stays the caller's to wipe).
    """

    def __init__(self, cipher: Cipher, key: EncryptionKey) -> None:
        self._cipher = cipher
        self._key = key
        self._prepared: EncryptionKey | None = None

    @property
    def caller_key(self) -> EncryptionKey:
        """The caller's key as it came, not prepared (the caller's to wipe)."""
        return self._key

    async def prepared(self) -> EncryptionKey:
        """The prepared key (KeyDerivationBusy, StoreUnavailable as `Cipher.prepare`)."""
        if self._prepared is None:
            self._prepared = await self._cipher.prepare(self._key)
        return self._prepared

    async def ready_to_seal(self) -> EncryptionKey | None:
        """The prepared key if the cipher says it is ready to seal (`Cipher.ready_to_seal`: no
        derivation, no key-management backend), else None (StoreUnavailable as that). Asked
        each time: a key prepared earlier is not ready to seal behind a backend.
        """
        ready = await self._cipher.ready_to_seal(self._key)
        if ready is None:
            return None
        if self._prepared is None:
            self._prepared = ready
        else:
            ready.wipe()
        return self._prepared

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._prepared is not None:
            self._prepared.wipe()
            self._prepared = None

    def __repr__(self) -> str:
        return "KeyOnce(<redacted>)"
