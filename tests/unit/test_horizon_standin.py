"""The Horizon stand-in keeps stellar-core's rules that the custody service meets (sequence,
signers, thresholds, sponsorship, reserves) and Horizon's JSON shapes, so that stellar-sdk's own
client works against it.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from stellar_sdk import (
    Account,
    Asset,
    BeginSponsoringFutureReserves,
    ChangeTrust,
    CreateAccount,
    EndSponsoringFutureReserves,
    Keypair,
    Network,
    Payment,
    Server,
    SetOptions,
    Signer,
    TransactionBuilder,
    TransactionEnvelope,
)
from stellar_sdk.exceptions import BadRequestError, NotFoundError
from stellar_sdk.operation import Operation

from tests.horizon_standin import BASE_RESERVE, FIRST_LEDGER, HorizonStandIn

PASSPHRASE = Network.TESTNET_NETWORK_PASSPHRASE
ISSUER = Keypair.random().public_key
USD = Asset("USD", ISSUER)


@pytest.fixture
def horizon() -> Iterator[HorizonStandIn]:
    with HorizonStandIn(PASSPHRASE) as standin:
        yield standin


def _envelope(
    horizon: HorizonStandIn,
    source: Keypair,
    operations: Sequence[Operation],
    *,
    sequence: int | None = None,
    passphrase: str = PASSPHRASE,
) -> TransactionEnvelope:
    current = horizon.accounts[source.public_key].sequence if sequence is None else sequence
    builder = TransactionBuilder(Account(source.public_key, current), passphrase, base_fee=100)
    for operation in operations:
        builder.append_operation(operation)
    return builder.set_timeout(300).build()


def _signed(envelope: TransactionEnvelope, *signers: Keypair) -> str:
    for signer in signers:
        envelope.sign(signer)
    return envelope.to_xdr()


def _submit(horizon: HorizonStandIn, envelope_xdr: str) -> tuple[int, dict[str, Any]]:
    response = httpx.post(f"{horizon.url}/transactions", data={"tx": envelope_xdr})
    return response.status_code, response.json()


def _codes(answer: tuple[int, dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    status, body = answer
    return status, body["extras"]["result_codes"]


def _activation(horizon: HorizonStandIn, sponsor: Keypair, new: Keypair) -> TransactionEnvelope:
    return _envelope(
        horizon,
        sponsor,
        [
            BeginSponsoringFutureReserves(new.public_key),
            CreateAccount(new.public_key, "0"),
            ChangeTrust(USD, source=new.public_key),
            EndSponsoringFutureReserves(source=new.public_key),
        ],
    )


def test_a_signed_payment_is_applied_once(horizon: HorizonStandIn) -> None:
    payer, payee = Keypair.random(), Keypair.random()
    horizon.fund(payer.public_key, "100")
    horizon.fund(payee.public_key, "10", sequence=7)
    envelope = _envelope(horizon, payer, [Payment(payee.public_key, Asset.native(), "5")])
    xdr = _signed(envelope, payer)

    status, body = _submit(horizon, xdr)

    assert status == 200
    assert body["hash"] == envelope.hash_hex()
    assert body["ledger"] == FIRST_LEDGER + 1
    assert body["successful"] is True
    assert horizon.accounts[payer.public_key].balance == 95 * 10**7 - 100
    assert horizon.accounts[payer.public_key].sequence == (FIRST_LEDGER << 32) + 1
    assert horizon.accounts[payee.public_key].balance == 15 * 10**7
    assert _submit(horizon, xdr) == (200, body)  # Horizon answers a retry from its history
    assert horizon.accounts[payer.public_key].balance == 95 * 10**7 - 100
    looked_up = httpx.get(f"{horizon.url}/transactions/{body['hash']}")
    assert looked_up.json()["successful"] is True
    assert httpx.get(f"{horizon.url}/transactions/{'0' * 64}").status_code == 404
    assert horizon.submitted == [xdr, xdr]


def test_a_sponsored_activation_shows_the_new_account_and_its_sponsor(
    horizon: HorizonStandIn,
) -> None:
    sponsor, new = Keypair.random(), Keypair.random()
    horizon.fund(sponsor.public_key, "10")
    xdr = _signed(_activation(horizon, sponsor, new), sponsor, new)

    status, body = _submit(horizon, xdr)

    assert status == 200, body
    account = httpx.get(f"{horizon.url}/accounts/{new.public_key}").json()
    assert account["sequence"] == str(body["ledger"] << 32)
    assert account["balances"][-1] == {
        "balance": "0.0000000",
        "asset_type": "native",
        "buying_liabilities": "0.0000000",
        "selling_liabilities": "0.0000000",
    }
    line = account["balances"][0]
    assert (line["asset_code"], line["asset_issuer"], line["sponsor"]) == (
        "USD",
        ISSUER,
        sponsor.public_key,
    )
    assert account["subentry_count"] == 1
    assert (account["num_sponsored"], account["sponsor"]) == (3, sponsor.public_key)
    assert account["signers"] == [
        {"weight": 1, "key": new.public_key, "type": "ed25519_public_key"}
    ]
    sponsoring = httpx.get(f"{horizon.url}/accounts/{sponsor.public_key}").json()
    assert sponsoring["num_sponsoring"] == 3
    assert horizon.accounts[sponsor.public_key].available() == 10 * 10**7 - 400 - 5 * BASE_RESERVE


def test_signers_and_thresholds_decide_who_may_sign(horizon: HorizonStandIn) -> None:
    owner, cosigner = Keypair.random(), Keypair.random()
    horizon.fund(owner.public_key)
    add = SetOptions(
        signer=Signer.ed25519_public_key(cosigner.public_key, 2),
        master_weight=1,
        low_threshold=1,
        med_threshold=2,
        high_threshold=3,
    )
    assert _submit(horizon, _signed(_envelope(horizon, owner, [add]), owner))[0] == 200
    payment = [Payment(owner.public_key, Asset.native(), "1")]

    alone = _signed(_envelope(horizon, owner, payment), owner)
    together = _signed(_envelope(horizon, owner, payment), owner, cosigner)

    # The master key reaches the low threshold (the transaction's source), not the payment's.
    refused = {"transaction": "tx_failed", "operations": ["op_bad_auth"]}
    assert _codes(_submit(horizon, alone)) == (400, refused)
    assert _submit(horizon, together)[0] == 200
    assert horizon.accounts[owner.public_key].signers == {cosigner.public_key: 2}
    assert horizon.accounts[owner.public_key].thresholds == [1, 2, 3]


def test_a_wrong_sequence_number_is_refused_and_changes_nothing(horizon: HorizonStandIn) -> None:
    payer = Keypair.random()
    horizon.fund(payer.public_key)
    payment = [Payment(payer.public_key, Asset.native(), "1")]
    ahead = _envelope(horizon, payer, payment, sequence=(FIRST_LEDGER << 32) + 1)

    answer = _codes(_submit(horizon, _signed(ahead, payer)))

    assert answer == (400, {"transaction": "tx_bad_seq"})
    assert horizon.accounts[payer.public_key].sequence == FIRST_LEDGER << 32
    assert horizon.accounts[payer.public_key].balance == 100 * 10**7


@pytest.mark.parametrize(
    ("signing", "transaction"),
    [
        ("none", "tx_bad_auth"),
        ("another network", "tx_bad_auth"),
        ("an extra key", "tx_bad_auth_extra"),
    ],
)
def test_signatures_are_verified_over_this_networks_hash(
    horizon: HorizonStandIn, signing: str, transaction: str
) -> None:
    payer = Keypair.random()
    horizon.fund(payer.public_key)
    payment = [Payment(payer.public_key, Asset.native(), "1")]
    envelope = _envelope(horizon, payer, payment)
    if signing == "another network":
        other = _envelope(horizon, payer, payment, passphrase=Network.PUBLIC_NETWORK_PASSPHRASE)
        envelope.signatures = [payer.sign_decorated(other.hash())]
    elif signing == "an extra key":
        _signed(envelope, payer, Keypair.random())

    answer = _codes(_submit(horizon, envelope.to_xdr()))

    assert answer == (400, {"transaction": transaction})
    assert horizon.accounts[payer.public_key].sequence == FIRST_LEDGER << 32


def test_an_activation_without_the_new_accounts_signature_is_refused(
    horizon: HorizonStandIn,
) -> None:
    sponsor, new = Keypair.random(), Keypair.random()
    horizon.fund(sponsor.public_key, "10")

    answer = _codes(_submit(horizon, _signed(_activation(horizon, sponsor, new), sponsor)))

    operations = ["op_success", "op_success", "op_bad_auth", "op_bad_auth"]
    assert answer == (400, {"transaction": "tx_failed", "operations": operations})
    assert new.public_key not in horizon.accounts
    assert horizon.accounts[sponsor.public_key].sequence == FIRST_LEDGER << 32


def test_an_underfunded_sponsor_fails_the_activation_and_pays_only_the_fee(
    horizon: HorizonStandIn,
) -> None:
    sponsor, new = Keypair.random(), Keypair.random()
    horizon.fund(sponsor.public_key, "1.5")  # half a reserve spare: a new account needs two
    xdr = _signed(_activation(horizon, sponsor, new), sponsor, new)

    answer = _codes(_submit(horizon, xdr))

    operations = ["op_success", "op_low_reserve", "op_no_source_account", "op_no_source_account"]
    assert answer == (400, {"transaction": "tx_failed", "operations": operations})
    assert new.public_key not in horizon.accounts
    assert horizon.accounts[sponsor.public_key].num_sponsoring == 0
    assert horizon.accounts[sponsor.public_key].sequence == (FIRST_LEDGER << 32) + 1
    assert horizon.accounts[sponsor.public_key].balance == 15 * 10**6 - 400
    looked_up = httpx.get(f"{horizon.url}/transactions/{_activation_hash(xdr)}").json()
    assert looked_up["successful"] is False


def _activation_hash(xdr: str) -> str:
    return TransactionEnvelope.from_xdr(xdr, PASSPHRASE).hash_hex()


def test_an_underfunded_payment_and_an_unknown_destination(horizon: HorizonStandIn) -> None:
    payer, payee = Keypair.random(), Keypair.random()
    horizon.fund(payer.public_key, "5")
    horizon.fund(payee.public_key)
    too_much = [Payment(payee.public_key, Asset.native(), "4.5")]
    nobody = [Payment(Keypair.random().public_key, Asset.native(), "1")]

    first = _codes(_submit(horizon, _signed(_envelope(horizon, payer, too_much), payer)))
    second = _codes(_submit(horizon, _signed(_envelope(horizon, payer, nobody), payer)))

    assert first == (400, {"transaction": "tx_failed", "operations": ["op_underfunded"]})
    assert second == (400, {"transaction": "tx_failed", "operations": ["op_no_destination"]})


def test_a_fee_bump_is_paid_by_its_fee_source(horizon: HorizonStandIn) -> None:
    payer, sponsor = Keypair.random(), Keypair.random()
    horizon.fund(payer.public_key, "1.00001")  # nothing above its reserve but the inner fee
    horizon.fund(sponsor.public_key)
    inner = _envelope(horizon, payer, [SetOptions(low_threshold=1)])
    inner.sign(payer)
    stale = _envelope(horizon, payer, [SetOptions(low_threshold=1)], sequence=0)
    stale.sign(payer)

    def bumped(envelope: TransactionEnvelope) -> str:
        fee_bump = TransactionBuilder.build_fee_bump_transaction(
            sponsor.public_key, 200, envelope, PASSPHRASE
        )
        fee_bump.sign(sponsor)
        return fee_bump.to_xdr()

    refused = _codes(_submit(horizon, bumped(stale)))
    status, _ = _submit(horizon, bumped(inner))

    inner_failed = {"transaction": "tx_fee_bump_inner_failed", "inner_transaction": "tx_bad_seq"}
    assert refused == (400, inner_failed)
    assert status == 200
    assert horizon.accounts[payer.public_key].balance == 10_000_100
    assert horizon.accounts[payer.public_key].thresholds == [1, 0, 0]
    assert horizon.accounts[sponsor.public_key].balance == 100 * 10**7 - 400


def test_malformed_envelopes_and_unknown_accounts(horizon: HorizonStandIn) -> None:
    status, body = _submit(horizon, "AAAA-not-xdr")
    missing = httpx.get(f"{horizon.url}/accounts/{Keypair.random().public_key}")

    assert (status, body["type"]) == (
        400,
        "https://stellar.org/horizon-errors/transaction_malformed",
    )
    assert missing.status_code == 404
    assert missing.json()["status"] == 404


def test_stellar_sdks_own_client_loads_accounts_and_submits(horizon: HorizonStandIn) -> None:
    payer, payee = Keypair.random(), Keypair.random()
    horizon.fund(payer.public_key)
    horizon.fund(payee.public_key)
    server = Server(horizon.url)

    account = server.load_account(payer.public_key)
    builder = TransactionBuilder(account, PASSPHRASE, base_fee=100).set_timeout(300)
    envelope = builder.append_payment_op(payee.public_key, Asset.native(), "2").build()
    envelope.sign(payer)
    answer = server.submit_transaction(envelope)
    stale = TransactionBuilder(Account(payer.public_key, account.sequence - 1), PASSPHRASE)
    refused = stale.append_payment_op(payee.public_key, Asset.native(), "3").set_timeout(300)

    assert account.sequence == (FIRST_LEDGER << 32) + 1  # the builder's increment
    assert answer["hash"] == envelope.hash_hex()
    assert server.load_account(payer.public_key).sequence == (FIRST_LEDGER << 32) + 1
    with pytest.raises(BadRequestError) as error:
        server.submit_transaction(refused.build())
    assert error.value.extras is not None
    assert error.value.extras["result_codes"] == {"transaction": "tx_bad_seq"}
    with pytest.raises(NotFoundError):
        server.load_account(Keypair.random().public_key)
    server.close()
