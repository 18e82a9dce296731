"""Submission through the use cases, on the in-memory store and a HorizonNetwork at the loopback
Horizon stand-in: sequence numbers read from the network, the network's passphrase checked, an
account that exists already refused before anything is signed, a retry of a landed transaction
answered as submitted, and each refusal of the network what the error table says.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import pytest
from dependency_injector import providers
from stellar_sdk import Keypair, Network, TransactionEnvelope

from adapters.stellar.horizon import HorizonNetwork
from application.account_transactions import AccountTransaction
from application.activate_account import ActivateRequest, HeldSponsor
from application.change_signers import ChangeSignersRequest
from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from domain.accounts import Terms, Trustline
from domain.authorization import Signer, Signers, Thresholds
from domain.errors import (
    AccountAlreadyOnNetwork,
    AccountNotOnNetwork,
    BadSequence,
    Field,
    InsufficientFunds,
    InvalidInput,
    NetworkUnavailable,
)
from domain.secrets import EncryptionKey
from entrypoints.container import Container, open_container
from tests.horizon_standin import STROOPS, HorizonStandIn
from tests.support import KEY, settings_for

TESTNET = Network.TESTNET_NETWORK_PASSPHRASE
SPONSOR_KEY = "the treasury's own key, 16+ chars"
ISSUER = Keypair.from_raw_ed25519_seed(bytes([7]) * 32).public_key
COSIGNER = Keypair.from_raw_ed25519_seed(bytes([8]) * 32).public_key
USDC = (Trustline("USDC", ISSUER),)


@pytest.fixture
def standin() -> Iterator[HorizonStandIn]:
    with HorizonStandIn(TESTNET) as running:
        yield running


@pytest.fixture
async def container(standin: HorizonStandIn) -> AsyncIterator[Container]:
    """Ada's and the treasury's wallets, the treasury's account funded on the stand-in."""
    async with open_container(settings_for("memory://")) as ready:
        ready.stellar_network.override(providers.Object(HorizonNetwork(standin.url, 5.0)))
        for user_id, key in (("ada", KEY), ("treasury", SPONSOR_KEY)):
            await ready.register_user()(RegisterUserRequest(f"{user_id}@example.com", user_id))
            with EncryptionKey.from_text(key) as encryption_key:
                wallet = await ready.create_user_wallet()(
                    CreateWalletRequest(user_id, encryption_key)
                )
            if user_id == "treasury":
                standin.fund(wallet.public_key, "100")
        yield ready


async def _activate(
    container: Container,
    *,
    sequence: int | None = None,
    lines: tuple[Trustline, ...] = USDC,
    network: str = TESTNET,
) -> AccountTransaction:
    with ExitStack() as keys:
        key = keys.enter_context(EncryptionKey.from_text(KEY))
        sponsor_key = keys.enter_context(EncryptionKey.from_text(SPONSOR_KEY))
        request = ActivateRequest(
            "ada",
            key,
            HeldSponsor("treasury", sponsor_key),
            sequence,
            lines,
            Terms(network),
            submit=True,
        )
        return await container.activate_account()(request)


async def _add_cosigner(container: Container, sequence: int | None = None) -> AccountTransaction:
    with EncryptionKey.from_text(KEY) as key:
        request = ChangeSignersRequest(
            "ada",
            key,
            sequence,
            Terms(TESTNET),
            current=Signers(()),
            add=Signers((Signer(COSIGNER, 1),)),
            remove=(),
            thresholds=Thresholds(1, 2, 2),
            submit=True,
        )
        return await container.change_signers()(request)


async def _key_of(container: Container, user_id: str) -> str:
    return (await container.get_wallet_by_user()(user_id)).public_key


async def test_the_sponsors_sequence_is_read_from_the_network_and_the_account_made(
    container: Container, standin: HorizonStandIn
) -> None:
    treasury, ada = await _key_of(container, "treasury"), await _key_of(container, "ada")
    before = standin.accounts[treasury].sequence
    result = await _activate(container)
    assert result.submitted is not None
    assert result.submitted.transaction_hash == result.transaction_hash
    envelope = TransactionEnvelope.from_xdr(standin.submitted[-1], TESTNET)
    assert envelope.transaction.sequence == before + 1
    account = standin.accounts[ada]
    assert (account.sponsor, account.balance, list(account.trustlines)) == (
        treasury,
        0,
        [f"USDC:{ISSUER}"],
    )


async def test_a_second_activation_is_refused_before_anything_is_signed(
    container: Container, standin: HorizonStandIn
) -> None:
    await _activate(container)
    sent = len(standin.submitted)
    events = len((await container.list_wallet_events()("ada", 0, 100)).events)
    with pytest.raises(AccountAlreadyOnNetwork):
        await _activate(container)
    assert len(standin.submitted) == sent
    assert len((await container.list_wallet_events()("ada", 0, 100)).events) == events


async def test_the_same_activation_again_is_answered_as_the_landed_one(
    container: Container, standin: HorizonStandIn
) -> None:
    sequence = standin.accounts[await _key_of(container, "treasury")].sequence
    first = await _activate(container, sequence=sequence)
    again = await _activate(container, sequence=sequence)
    assert again.transaction_hash == first.transaction_hash
    assert again.submitted == first.submitted


async def test_another_activation_of_an_existing_account_is_refused_as_such(
    container: Container, standin: HorizonStandIn
) -> None:
    treasury = await _key_of(container, "treasury")
    await _activate(container)
    other_lines = (Trustline("EURC", ISSUER),)
    with pytest.raises(AccountAlreadyOnNetwork):
        await _activate(container, sequence=standin.accounts[treasury].sequence, lines=other_lines)


async def test_a_stale_sequence_is_a_bad_sequence(
    container: Container, standin: HorizonStandIn
) -> None:
    sequence = standin.accounts[await _key_of(container, "treasury")].sequence
    with pytest.raises(BadSequence):
        await _activate(container, sequence=sequence - 1)


async def test_submitting_for_another_network_than_the_servers_is_refused(
    container: Container, standin: HorizonStandIn
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await _activate(container, network=Network.PUBLIC_NETWORK_PASSPHRASE)
    assert refused.value.field is Field.NETWORK_PASSPHRASE
    assert standin.submitted == []


async def test_a_change_of_signers_reads_the_accounts_own_sequence(
    container: Container, standin: HorizonStandIn
) -> None:
    ada = await _key_of(container, "ada")
    with pytest.raises(AccountNotOnNetwork):
        await _add_cosigner(container)
    await _activate(container)
    with pytest.raises(InsufficientFunds):  # a sponsored account has no XLM for its fee
        await _add_cosigner(container)
    standin.accounts[ada].balance += 5 * STROOPS
    await _add_cosigner(container)
    assert standin.accounts[ada].weights() == {ada: 1, COSIGNER: 1}
    assert standin.accounts[ada].thresholds == [1, 2, 2]


async def test_an_unreachable_network_is_unavailable_and_the_same_request_lands_later(
    container: Container, standin: HorizonStandIn
) -> None:
    standin.fail_next("unreachable")
    events = len((await container.list_wallet_events()("ada", 0, 100)).events)
    sequence = standin.accounts[await _key_of(container, "treasury")].sequence
    with pytest.raises(NetworkUnavailable):
        await _activate(container, sequence=sequence)
    # The signing is recorded (its signature was made), the submission was not answered.
    assert len((await container.list_wallet_events()("ada", 0, 100)).events) == events + 1
    again = await _activate(container, sequence=sequence)
    assert again.submitted is not None
