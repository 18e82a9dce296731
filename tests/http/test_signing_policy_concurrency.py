"""Daily limits hold under concurrency (issue 17): 20 signs of 1 XLM fired at once against a
limit of 5 XLM a day, through the real app on every backend (PostgreSQL's row lock, SQLite's
one writer, the in-memory store's lock): exactly 5 are signed, 15 refused as daily-limit.
Opening the seed is slowed down, so that every request has passed the first judgement (before
the seed is opened, without the day's spending) before any is recorded: the judgement under the
wallet's lock is the one that decides.
"""

import asyncio
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from stellar_sdk import Account, Asset, Keypair, TransactionBuilder

from domain.model import utc_now
from entrypoints.container import Container
from tests.http.test_signing_policies import TESTNET, events, set_policy, sign, wallet_key
from tests.support import Faults, faulty_ports, http_client

SIGNS = 20
PER_DAY = 5


def _one_lumen(wallet: str, sequence: int) -> str:
    """A payment of 1 XLM from the wallet, a transaction of its own for each sequence."""
    builder = TransactionBuilder(Account(wallet, sequence), TESTNET, base_fee=100)
    friend = Keypair.from_raw_ed25519_seed(bytes([3]) * 32).public_key
    envelope = builder.append_payment_op(friend, Asset.native(), "1").add_time_bounds(0, 0)
    return envelope.build().to_xdr()


async def test_concurrent_signs_never_pass_a_daily_limit_together(container: Container) -> None:
    faults = Faults()
    faults.slow_down("cipher.decrypt", 0.05)
    with faulty_ports(container, faults):
        async with http_client(container) as client:
            wallet = await wallet_key(client)
            limits = [{"asset": "native", "perDay": f"{PER_DAY}"}]
            await set_policy(client, {"limits": limits})
            opened_before = faults.trace.count("cipher.decrypt")
            responses = await asyncio.gather(
                *(sign(client, _one_lumen(wallet, 1000 + n)) for n in range(SIGNS))
            )
            listed = await events(client)
    assert Counter(r.status_code for r in responses) == {200: PER_DAY, 403: SIGNS - PER_DAY}, [
        r.text for r in responses if r.status_code not in {200, 403}
    ]
    refusals = [r.json() for r in responses if r.status_code == 403]
    assert {(body["rule"], body["operation"]) for body in refusals} == {("daily-limit", 0)}
    kinds = Counter(event["type"] for event in listed)
    assert (kinds["signed"], kinds["sign_refused"]) == (PER_DAY, SIGNS - PER_DAY)
    refused_rules = {e["details"]["rule"] for e in listed if e["type"] == "sign_refused"}
    assert refused_rules == {"daily-limit"}
    async with container.unit_of_work() as uow:
        stored = await uow.wallets.get_by_user("ada")
        assert stored is not None
        spent = await uow.spending.since(stored.id, utc_now() - timedelta(days=1))
    assert spent == {"native": Decimal(PER_DAY)}
    # The race was real: more requests than the limit allows got as far as opening the seed.
    assert faults.trace.count("cipher.decrypt") - opened_before > PER_DAY
