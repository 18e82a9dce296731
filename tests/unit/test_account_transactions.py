"""ActivateAccount and ChangeSigners on the in-memory adapters. Every transaction they return is
decoded with stellar-sdk and each of its signatures verified with Keypair.verify over the hash
for its network; its operations, their sources and order, its sequence number, fee and time
bounds are checked against the request. Failures record nothing and quote no secret; a rotation
or suspension committed while the wallets were opened wins, as for a single wallet.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import ExitStack, contextmanager

import pytest
from dependency_injector import providers
from stellar_sdk import (
    BeginSponsoringFutureReserves,
    ChangeTrust,
    CreateAccount,
    EndSponsoringFutureReserves,
    Keypair,
    Network,
    SetOptions,
    TransactionEnvelope,
)
from stellar_sdk.exceptions import BadSignatureError

from application.account_transactions import AccountTransaction
from application.activate_account import ActivateRequest, HeldSponsor
from application.change_signers import ChangeSignersRequest
from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from application.rotate_encryption_key import RotateKeyRequest
from application.wallet_access import decrypt_seed
from domain.accounts import Terms, Trustline
from domain.audit import EventType, WalletEvent
from domain.authorization import Signer, Signers, Thresholds
from domain.errors import (
    DomainError,
    Field,
    InvalidInput,
    Lockout,
    SponsorKeyMismatch,
    WalletKeyMismatch,
    WalletNotFound,
    WalletSuspended,
)
from domain.secrets import EncryptionKey
from entrypoints.container import Container, open_container
from tests.support import KEY, OTHER_KEY, StoreSnapshot, settings_for
from tests.unit.test_opening_between_units_of_work import GatedKeyWrapper

TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
PUBLIC = Network.PUBLIC_NETWORK_PASSPHRASE
STANDALONE = "Standalone Network ; February 2017"  # not among the allowed networks
SPONSOR_KEY = "the treasury's own key, 16+ chars"
NEW_KEY = "a rotated key of sixteen or more"
ISSUER, COSIGNER, NEWCOMER = (
    Keypair.from_raw_ed25519_seed(bytes([n]) * 32).public_key for n in (7, 8, 9)
)
OUTSIDE_SPONSOR = Keypair.from_raw_ed25519_seed(bytes([10]) * 32).public_key
SEQUENCE = 4294967296
LINES = (Trustline("USDC", ISSUER, "1000000"), Trustline("EURC", ISSUER))
MAX_LIMIT = "922337203685.4775807"
TERMS = Terms(TESTNET, base_fee=250, valid_until=1893456000)


@pytest.fixture
async def container() -> AsyncIterator[Container]:
    """The memory container with a gated key backend, and two wallets: ada's (under KEY) and
    the treasury's (under SPONSOR_KEY).
    """
    async with open_container(settings_for("memory://")) as ready:
        ready.key_wrapper.override(providers.Object(GatedKeyWrapper()))
        await _wallet(ready, "ada", KEY)
        await _wallet(ready, "treasury", SPONSOR_KEY)
        yield ready


async def _wallet(container: Container, user_id: str, key: str) -> str:
    await container.register_user()(RegisterUserRequest(f"{user_id}@example.com", user_id))
    with EncryptionKey.from_text(key) as encryption_key:
        created = await container.create_user_wallet()(CreateWalletRequest(user_id, encryption_key))
    return created.public_key


async def _public_key(container: Container, user_id: str) -> str:
    return (await container.get_wallet_by_user()(user_id)).public_key


@contextmanager
def _activation(
    *,
    user_id: str = "ada",
    key: str = KEY,
    sponsor: tuple[str, str] | str = ("treasury", SPONSOR_KEY),
    sequence: int | None = SEQUENCE,
    lines: tuple[Trustline, ...] = LINES,
    terms: Terms = TERMS,
    submit: bool = False,
    actor: str | None = None,
) -> Iterator[ActivateRequest]:
    """An activation request; `sponsor` a held wallet's (user id, key) or a public key."""
    with ExitStack() as keys:
        encryption_key = keys.enter_context(EncryptionKey.from_text(key))
        signing: HeldSponsor | str = sponsor if isinstance(sponsor, str) else _held(keys, *sponsor)
        yield ActivateRequest(
            user_id, encryption_key, signing, sequence, lines, terms, submit, actor
        )


def _held(keys: ExitStack, user_id: str, key: str) -> HeldSponsor:
    sponsor_key = EncryptionKey.from_text(key, Field.SPONSOR_ENCRYPTION_KEY)
    return HeldSponsor(user_id, keys.enter_context(sponsor_key))


async def _activate(container: Container, **fields: object) -> AccountTransaction:
    with _activation(**fields) as request:  # type: ignore[arg-type]
        return await container.activate_account()(request)


CHANGE = {
    "current": Signers((Signer(COSIGNER, 1),)),
    "add": Signers((Signer(NEWCOMER, 2), Signer(COSIGNER, 3))),
    "remove": (),
    "master_weight": 1,
    "thresholds": Thresholds(1, 2, 4),
}


@contextmanager
def _signer_change(
    *,
    user_id: str = "ada",
    key: str = KEY,
    sequence: int | None = SEQUENCE,
    terms: Terms = TERMS,
    submit: bool = False,
    **changes: object,
) -> Iterator[ChangeSignersRequest]:
    with EncryptionKey.from_text(key) as encryption_key:
        yield ChangeSignersRequest(
            user_id,
            encryption_key,
            sequence,
            terms,
            submit=submit,
            **(CHANGE | changes),  # type: ignore[arg-type]
        )


async def _change_signers(container: Container, **fields: object) -> AccountTransaction:
    with _signer_change(**fields) as request:  # type: ignore[arg-type]
        return await container.change_signers()(request)


def _verified(result: AccountTransaction, passphrase: str) -> TransactionEnvelope:
    """The returned envelope, decoded for `passphrase`: its hash the result's, and signed by
    exactly `signed_by`, in that order, each signature verifying over that network's hash.
    """
    envelope = _signed_for(result, passphrase)
    assert envelope.hash_hex() == result.transaction_hash
    return envelope


def _signed_for(result: AccountTransaction, passphrase: str) -> TransactionEnvelope:
    """The returned envelope, decoded for `passphrase`, each of its signatures by the key of
    `signed_by` at its place and verified over the hash for `passphrase` (BadSignatureError).
    """
    envelope = TransactionEnvelope.from_xdr(result.transaction_xdr, passphrase)
    assert len(envelope.signatures) == len(result.signed_by)
    for signature, key in zip(envelope.signatures, result.signed_by, strict=True):
        keypair = Keypair.from_public_key(key)
        assert signature.signature_hint == keypair.signature_hint()
        keypair.verify(envelope.hash(), signature.signature)
    return envelope


def _source(operation: object) -> str | None:
    source = getattr(operation, "source", None)
    return None if source is None else str(source.account_id)


async def _events(container: Container, user_id: str) -> list[WalletEvent]:
    return (await container.list_wallet_events()(user_id)).events


# Activation


def _check_activation(
    envelope: TransactionEnvelope, account: str, sponsor: str, lines: tuple[Trustline, ...]
) -> None:
    transaction = envelope.transaction
    operations = transaction.operations
    assert transaction.source.account_id == sponsor
    assert transaction.sequence == SEQUENCE + 1
    assert transaction.fee == TERMS.base_fee * (3 + len(lines))
    assert transaction.preconditions is not None
    bounds = transaction.preconditions.time_bounds
    assert bounds is not None
    assert (bounds.min_time, bounds.max_time) == (0, TERMS.valid_until)
    assert [type(op) for op in operations] == [
        BeginSponsoringFutureReserves,
        CreateAccount,
        *(ChangeTrust for _ in lines),
        EndSponsoringFutureReserves,
    ]
    assert [_source(op) for op in operations] == [sponsor, sponsor] + [account] * (len(lines) + 1)
    begin, create, *trusts, _ = operations
    assert isinstance(begin, BeginSponsoringFutureReserves)
    assert begin.sponsored_id == account
    assert isinstance(create, CreateAccount)
    assert (create.destination, create.starting_balance) == (account, "0")
    for trust, line in zip(trusts, lines, strict=True):
        assert isinstance(trust, ChangeTrust)
        assert (trust.asset.code, trust.asset.issuer) == (line.code, line.issuer)  # type: ignore[union-attr]
        assert trust.limit == (line.limit or MAX_LIMIT)


@pytest.mark.parametrize("sponsor_id", ["treasury", "aaa-sponsor"])
async def test_a_held_sponsor_signs_first_then_the_wallet(
    container: Container, sponsor_id: str
) -> None:
    """The sponsor signs first whether its user id sorts after the wallet's or before it (the
    wallets are locked in user-id order, not in signing order).
    """
    if sponsor_id != "treasury":
        await _wallet(container, sponsor_id, SPONSOR_KEY)
    account = await _public_key(container, "ada")
    sponsor = await _public_key(container, sponsor_id)
    result = await _activate(container, sponsor=(sponsor_id, SPONSOR_KEY))
    assert (result.public_key, result.sponsor_public_key) == (account, sponsor)
    assert result.signed_by == (sponsor, account)
    assert result.submitted is None
    _check_activation(_verified(result, TESTNET), account, sponsor, LINES)


async def test_a_sponsor_held_elsewhere_is_the_source_and_only_the_wallet_signs(
    container: Container,
) -> None:
    account = await _public_key(container, "ada")
    result = await _activate(container, sponsor=OUTSIDE_SPONSOR)
    assert result.sponsor_public_key == OUTSIDE_SPONSOR
    assert result.signed_by == (account,)
    _check_activation(_verified(result, TESTNET), account, OUTSIDE_SPONSOR, LINES)
    assert [event.type for event in await _events(container, "treasury")] == [EventType.CREATED]


async def test_an_activation_without_trustlines_or_time_bound(container: Container) -> None:
    result = await _activate(container, lines=(), terms=Terms(TESTNET))
    transaction = _verified(result, TESTNET).transaction
    assert [type(op) for op in transaction.operations] == [
        BeginSponsoringFutureReserves,
        CreateAccount,
        EndSponsoringFutureReserves,
    ]
    assert transaction.fee == 300
    assert transaction.preconditions is not None
    bounds = transaction.preconditions.time_bounds
    assert bounds is not None
    assert (bounds.min_time, bounds.max_time) == (0, 0)


async def test_the_same_activation_twice_gives_the_same_transaction(
    container: Container,
) -> None:
    first = await _activate(container)
    again = await _activate(container)
    assert (again.transaction_xdr, again.transaction_hash) == (
        first.transaction_xdr,
        first.transaction_hash,
    )
    later = await _activate(container, sequence=SEQUENCE + 1)
    assert later.transaction_hash != first.transaction_hash


async def test_signatures_verify_for_their_network_only(container: Container) -> None:
    on_testnet = await _activate(container)
    with pytest.raises(BadSignatureError):
        _signed_for(on_testnet, PUBLIC)
    on_public = await _activate(container, terms=Terms(PUBLIC))
    _verified(on_public, PUBLIC)
    with pytest.raises(BadSignatureError):
        _signed_for(on_public, TESTNET)
    assert on_public.transaction_hash != on_testnet.transaction_hash


async def test_an_activation_is_recorded_on_each_wallet_that_signed(
    container: Container,
) -> None:
    account = await _public_key(container, "ada")
    sponsor = await _public_key(container, "treasury")
    result = await _activate(container, actor="token-7")
    expected = {
        "transaction_hash": result.transaction_hash,
        "network_passphrase": TESTNET,
        "account": account,
        "sponsor": sponsor,
    }
    for user_id, role in (("ada", "account"), ("treasury", "sponsor")):
        created, signed = await _events(container, user_id)
        assert created.type == EventType.CREATED
        assert signed.type == EventType.ACTIVATION_SIGNED
        assert signed.details == expected | {"role": role}
        assert signed.token_id == "token-7"


# Signer changes


async def test_a_signer_change_is_one_set_options_per_step_signed_by_the_wallet(
    container: Container,
) -> None:
    account = await _public_key(container, "ada")
    result = await _change_signers(
        container,
        current=Signers((Signer(COSIGNER, 1), Signer(ISSUER, 1))),
        add=Signers((Signer(NEWCOMER, 2), Signer(COSIGNER, 3))),
        remove=(ISSUER,),
    )
    assert (result.public_key, result.sponsor_public_key) == (account, None)
    assert result.signed_by == (account,)
    transaction = _verified(result, TESTNET).transaction
    assert transaction.source.account_id == account
    assert transaction.sequence == SEQUENCE + 1
    assert transaction.fee == TERMS.base_fee * 4
    assert transaction.preconditions is not None
    bounds = transaction.preconditions.time_bounds
    assert bounds is not None
    assert (bounds.min_time, bounds.max_time) == (0, TERMS.valid_until)
    operations = transaction.operations
    assert all(isinstance(op, SetOptions) and op.source is None for op in operations)
    fields = [
        (
            op.master_weight,
            op.low_threshold,
            op.med_threshold,
            op.high_threshold,
            None
            if op.signer is None
            else (op.signer.signer_key.encoded_signer_key, op.signer.weight),
        )
        for op in operations
        if isinstance(op, SetOptions)
    ]
    assert fields == [
        (1, 1, 2, 4, None),
        (None, None, None, None, (ISSUER, 0)),
        (None, None, None, None, (NEWCOMER, 2)),
        (None, None, None, None, (COSIGNER, 3)),
    ]
    for op in operations:
        assert isinstance(op, SetOptions)
        assert (op.inflation_dest, op.clear_flags, op.set_flags, op.home_domain) == (None,) * 4


async def test_the_same_signer_change_twice_gives_the_same_transaction(
    container: Container,
) -> None:
    first = await _change_signers(container)
    again = await _change_signers(container)
    assert (again.transaction_xdr, again.transaction_hash) == (
        first.transaction_xdr,
        first.transaction_hash,
    )
    with pytest.raises(BadSignatureError):
        _signed_for(first, PUBLIC)


async def test_a_signer_change_is_recorded_with_what_it_changes(container: Container) -> None:
    result = await _change_signers(
        container,
        current=Signers((Signer(COSIGNER, 1), Signer(ISSUER, 1))),
        remove=(ISSUER,),
        actor="token-9",
    )
    _, signed = await _events(container, "ada")
    assert signed.type == EventType.SIGNER_CHANGE_SIGNED
    assert signed.token_id == "token-9"
    assert signed.details == {
        "transaction_hash": result.transaction_hash,
        "network_passphrase": TESTNET,
        "added": f"{NEWCOMER}:2,{COSIGNER}:3",
        "removed": ISSUER,
        "master_weight": "1",
        "thresholds": "1,2,4",
    }
    assert [event.type for event in await _events(container, "treasury")] == [EventType.CREATED]


async def test_an_allowed_lockout_is_signed_and_recorded_as_allowed(container: Container) -> None:
    result = await _change_signers(
        container, add=Signers(()), master_weight=0, thresholds=None, allow_lockout=True
    )
    _verified(result, TESTNET)
    _, signed = await _events(container, "ada")
    assert signed.details["lockout_allowed"] == "true"
    assert signed.details["master_weight"] == "0"
    assert "thresholds" not in signed.details
    assert signed.details["added"] == signed.details["removed"] == ""


# Failures: each records nothing


async def _fails(
    container: Container, attempt: Awaitable[object], error: type[DomainError]
) -> DomainError:
    """Run `attempt`, expect exactly `error`, and check that the store is as it was."""
    before = StoreSnapshot.of(container.memory_store())
    with pytest.raises(error) as raised:
        await attempt
    assert type(raised.value) is error
    assert StoreSnapshot.of(container.memory_store()) == before
    return raised.value


async def test_a_wrong_wallet_key_is_the_wallets_mismatch(container: Container) -> None:
    mismatch = await _fails(container, _activate(container, key=OTHER_KEY), WalletKeyMismatch)
    assert isinstance(mismatch, WalletKeyMismatch)
    assert mismatch.user_id == "ada"
    await _fails(container, _change_signers(container, key=OTHER_KEY), WalletKeyMismatch)


async def test_a_wrong_sponsor_key_is_the_sponsors_mismatch(container: Container) -> None:
    mismatch = await _fails(
        container, _activate(container, sponsor=("treasury", OTHER_KEY)), SponsorKeyMismatch
    )
    assert "sponsor" in str(mismatch)
    assert "'treasury'" in str(mismatch)


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({"user_id": "nobody"}, "nobody"),
        ({"sponsor": ("ghost", SPONSOR_KEY)}, "ghost"),
        ({"user_id": "nobody", "sponsor": OUTSIDE_SPONSOR}, "nobody"),
    ],
)
async def test_an_unknown_wallet_or_sponsor_is_not_found(
    container: Container, fields: dict[str, object], missing: str
) -> None:
    error = await _fails(container, _activate(container, **fields), WalletNotFound)
    assert isinstance(error, WalletNotFound)
    assert error.user_id == missing


async def test_a_registered_user_without_a_wallet_is_not_found(container: Container) -> None:
    await container.register_user()(RegisterUserRequest("eve@example.com", "eve"))
    await _fails(container, _activate(container, sponsor=("eve", SPONSOR_KEY)), WalletNotFound)
    await _fails(container, _change_signers(container, user_id="eve"), WalletNotFound)


@pytest.mark.parametrize("suspended", ["ada", "treasury"])
async def test_a_suspended_wallet_or_sponsor_signs_nothing(
    container: Container, suspended: str
) -> None:
    await container.suspend_wallet()(suspended)
    error = await _fails(container, _activate(container), WalletSuspended)
    assert isinstance(error, WalletSuspended)
    assert error.user_id == suspended


async def test_a_suspended_wallet_changes_no_signers(container: Container) -> None:
    await container.suspend_wallet()("ada")
    await _fails(container, _change_signers(container), WalletSuspended)


async def test_a_sponsor_that_is_the_wallet_itself_is_refused(container: Container) -> None:
    own_key = await _public_key(container, "ada")
    for sponsor in (("ada", KEY), own_key):
        error = await _fails(container, _activate(container, sponsor=sponsor), InvalidInput)
        assert isinstance(error, InvalidInput)
        assert error.field is Field.SPONSOR


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"terms": Terms(STANDALONE)}, Field.NETWORK_PASSPHRASE),
        ({"submit": True}, Field.SUBMIT),
        ({"submit": True, "sequence": None}, Field.SUBMIT),
        ({"sequence": None}, Field.SPONSOR_SEQUENCE),
        ({"sponsor": "GNOTAKEY"}, Field.SPONSOR_PUBLIC_KEY),
        ({"sponsor": ("", SPONSOR_KEY)}, Field.SPONSOR_USER_ID),
        ({"user_id": "a/b"}, Field.USER_ID),
        ({"lines": (Trustline("USDC", "GNOTAKEY"),)}, Field.TRUSTLINES),
        ({"lines": (Trustline("USDC", ISSUER, "0"),)}, Field.TRUSTLINES),
        ({"terms": Terms(TESTNET, 2**32 // 5 + 1)}, Field.BASE_FEE),  # 5 operations
    ],
)
async def test_a_malformed_activation_is_refused(
    container: Container, fields: dict[str, object], field: Field
) -> None:
    error = await _fails(container, _activate(container, **fields), InvalidInput)
    assert isinstance(error, InvalidInput)
    assert error.field is field


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"terms": Terms(STANDALONE)}, Field.NETWORK_PASSPHRASE),
        ({"submit": True}, Field.SUBMIT),
        ({"sequence": None}, Field.SEQUENCE),
        ({"add": Signers((Signer("GNOTAKEY", 1),)), "thresholds": None}, Field.ADD),
        ({"add": Signers((Signer(OUTSIDE_SPONSOR.lower(), 1),)), "thresholds": None}, Field.ADD),
        ({"add": Signers((Signer(OUTSIDE_SPONSOR[:-1], 1),)), "thresholds": None}, Field.ADD),
        # a key removed must be a current signer, whose keys are checked first
        (
            {"remove": ("GNOTAKEY",), "current": Signers((Signer("GNOTAKEY", 1),))},
            Field.CURRENT_SIGNERS,
        ),
        ({"current": Signers((Signer("GNOTAKEY", 1),)), "thresholds": None}, Field.CURRENT_SIGNERS),
        ({"add": Signers(()), "master_weight": None, "thresholds": None}, Field.ADD),
        ({"remove": (NEWCOMER,), "add": Signers(())}, Field.REMOVE),
    ],
)
async def test_a_malformed_signer_change_is_refused(
    container: Container, fields: dict[str, object], field: Field
) -> None:
    error = await _fails(container, _change_signers(container, **fields), InvalidInput)
    assert isinstance(error, InvalidInput)
    assert error.field is field


async def test_a_lockout_is_refused_before_anything_is_signed(container: Container) -> None:
    error = await _fails(
        container,
        _change_signers(
            container, current=Signers(()), add=Signers(()), master_weight=0, thresholds=None
        ),
        Lockout,
    )
    assert isinstance(error, Lockout)
    assert (error.weight, error.needed) == (0, 1)


async def test_the_wallets_own_key_as_a_signer_is_refused(container: Container) -> None:
    own_key = await _public_key(container, "ada")
    for fields in (
        {"add": Signers((Signer(own_key, 1),))},
        {"current": Signers((Signer(own_key, 1),)), "remove": (own_key,), "add": Signers(())},
    ):
        await _fails(container, _change_signers(container, **fields), InvalidInput)


@pytest.mark.parametrize("sequence", [2**63 - 1, -2])
async def test_a_sequence_whose_next_does_not_fit_int64_is_refused(  # stellar-sdk would wrap it
    container: Container, sequence: int
) -> None:
    with pytest.raises(InvalidInput) as activation:
        await _activate(container, sequence=sequence)
    assert activation.value.field is Field.SPONSOR_SEQUENCE
    with pytest.raises(InvalidInput) as change:
        await _change_signers(container, sequence=sequence)
    assert change.value.field is Field.SEQUENCE


async def test_the_largest_sequence_whose_next_fits_int64_is_taken(container: Container) -> None:
    result = await _activate(container, sequence=2**63 - 2)
    assert _verified(result, TESTNET).transaction.sequence == 2**63 - 1


# A rotation or suspension committed while the wallets were opened


async def _while_opening(
    container: Container,
    operation: Callable[[], Coroutine[object, object, AccountTransaction]],
    meanwhile: Callable[[], Awaitable[object]],
) -> AccountTransaction:
    """Run `operation`, its first unwrap (the first wallet it opens) held until `meanwhile`
    is done.
    """
    wrapper = container.key_wrapper()
    assert isinstance(wrapper, GatedKeyWrapper)
    wrapper.gate = gate = asyncio.Event()
    running = asyncio.create_task(operation())
    await asyncio.wait_for(wrapper.waiting.wait(), 5)
    await meanwhile()
    gate.set()
    return await running


def _rotation(container: Container, user_id: str, key: str) -> Callable[[], Awaitable[object]]:
    async def rotate() -> object:
        with EncryptionKey.from_text(key) as old, EncryptionKey.from_text(NEW_KEY) as new:
            return await container.rotate_encryption_key()(RotateKeyRequest(user_id, old, new))

    return rotate


async def _types(container: Container, user_id: str) -> list[str]:
    return [event.type for event in await _events(container, user_id)]


@pytest.mark.parametrize(
    ("rotated", "key", "error"),
    [("ada", KEY, WalletKeyMismatch), ("treasury", SPONSOR_KEY, SponsorKeyMismatch)],
)
async def test_a_rotation_of_either_wallet_while_they_were_opened_wins(
    container: Container, rotated: str, key: str, error: type[DomainError]
) -> None:
    with pytest.raises(error) as raised:
        await _while_opening(
            container, lambda: _activate(container), _rotation(container, rotated, key)
        )
    assert type(raised.value) is error
    assert await _types(container, rotated) == [EventType.CREATED, EventType.ROTATED]
    other = "treasury" if rotated == "ada" else "ada"
    assert await _types(container, other) == [EventType.CREATED]


async def test_a_rotated_wallet_opened_with_its_new_key_after_the_rotation_signs(
    container: Container,
) -> None:
    await _rotation(container, "treasury", SPONSOR_KEY)()
    result = await _activate(container, sponsor=("treasury", NEW_KEY))
    _verified(result, TESTNET)


@pytest.mark.parametrize("suspended", ["ada", "treasury"])
async def test_a_suspension_of_either_wallet_while_they_were_opened_wins(
    container: Container, suspended: str
) -> None:
    with pytest.raises(WalletSuspended) as raised:
        await _while_opening(
            container, lambda: _activate(container), lambda: container.suspend_wallet()(suspended)
        )
    assert raised.value.user_id == suspended
    assert EventType.ACTIVATION_SIGNED not in await _types(container, "ada")
    assert EventType.ACTIVATION_SIGNED not in await _types(container, "treasury")


async def test_nothing_committed_while_they_were_opened_signs_once(container: Container) -> None:
    result = await _while_opening(container, lambda: _activate(container), lambda: asyncio.sleep(0))
    _verified(result, TESTNET)
    for user_id in ("ada", "treasury"):
        assert await _types(container, user_id) == [EventType.CREATED, EventType.ACTIVATION_SIGNED]


async def test_a_rotation_while_a_signer_change_was_opened_wins(container: Container) -> None:
    with pytest.raises(WalletKeyMismatch):
        await _while_opening(
            container, lambda: _change_signers(container), _rotation(container, "ada", KEY)
        )
    assert await _types(container, "ada") == [EventType.CREATED, EventType.ROTATED]


# No secret in any message or repr


async def _secrets(container: Container) -> list[str]:
    """The texts that must never show: both keys, both seeds (as Stellar writes them and hex)."""
    texts = [KEY, SPONSOR_KEY, OTHER_KEY]
    store = container.memory_store()
    for user_id, key in (("ada", KEY), ("treasury", SPONSOR_KEY)):
        with (
            EncryptionKey.from_text(key) as encryption_key,
            await decrypt_seed(
                container.cipher(), store.wallets_by_user[user_id], encryption_key
            ) as seed,
        ):
            raw = bytes(seed.reveal())
        keypair = Keypair.from_raw_ed25519_seed(raw)
        assert keypair.public_key == store.wallets_by_user[user_id].public_key
        texts += [keypair.secret, raw.hex()]
    return texts


async def test_no_key_or_seed_in_any_error_request_or_result(container: Container) -> None:
    secrets = await _secrets(container)
    shown: list[str] = []
    with _activation() as activation, _signer_change() as change:
        shown += [repr(activation), str(activation), repr(change), str(change)]
        assert isinstance(activation.sponsor, HeldSponsor)
        shown += [repr(activation.sponsor), str(activation.sponsor)]
    for result in (await _activate(container), await _change_signers(container)):
        shown += [repr(result), str(result)]
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: _activate(container, key=OTHER_KEY),
        lambda: _activate(container, sponsor=("treasury", OTHER_KEY)),
        lambda: _activate(container, sponsor=("treasury", KEY)),
        lambda: _activate(container, sponsor=("ada", KEY)),
        lambda: _change_signers(container, key=OTHER_KEY),
        lambda: _change_signers(container, key=SPONSOR_KEY),
        lambda: _change_signers(container, master_weight=0, current=Signers(()), add=Signers(())),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as raised:
            await attempt()
        shown += [repr(raised.value), str(raised.value)]
    for text in shown:
        for secret in secrets:
            assert secret not in text
