"""Webhooks from real `serve` processes (issue 18) to real receivers on loopback that verify
every signature with the Standard Webhooks library: every committed event arrives, in order per
wallet, under its stable id, and nothing for a change that failed; through a receiver down for a
while, answering 500 or hanging; through a SIGKILLed server restarted on its database; and from
two instances on one PostgreSQL, never in flight twice at once.
"""

import itertools
import time
from pathlib import Path

import pytest

from tests.support import KEY, OTHER_KEY
from tests.system.webhook_service import (
    ReadyWatch,
    Service,
    assert_delivered_as_listed,
    assert_ids_stable,
    attempts_of,
    delivering,
    each_answered,
    every,
    metric,
    settled_metric,
)
from tests.webhook_receiver import Delivery, WebhookReceiver, new_secret

SLACK = 0.1
"""Seconds a measured gap may fall short of the one configured (clocks read a moment apart)."""
IN_FLIGHT_PER_DISPATCHER = 32  # DispatchPlan.in_flight
SHARED_WALLETS = IN_FLIGHT_PER_DISPATCHER + 8
POLICY = {"allowedOperations": ["payment"], "limits": [{"asset": "native", "perTransaction": "5"}]}


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/wallets.db"


def _users(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{n}" for n in range(count)]


def test_every_committed_event_arrives_once_and_none_for_failed_changes(tmp_path: Path) -> None:
    secret = new_secret()
    with (
        WebhookReceiver(secret) as first,
        WebhookReceiver(secret) as second,
        delivering(_sqlite(tmp_path), tmp_path / "server.log", secret, [first, second]) as server,
        Service([server]) as service,
    ):
        ada, bob, cyd, dee = _users("hook", 4)
        wallets = service.onboard([ada, bob, cyd, dee])
        assert service.custody(ada, "suspend").status_code == 200
        assert service.custody(ada, "suspend").status_code == 200  # already: no event
        assert service.custody(ada, "resume").status_code == 200
        assert service.set_policy(bob, POLICY).status_code == 200
        assert service.sign(bob, wallets[bob]["publicKey"], "10").status_code == 403
        assert service.sign(bob, wallets[bob]["publicKey"], "1").status_code == 200
        assert service.sign(cyd, wallets[cyd]["publicKey"], "10").status_code == 200
        rotation = {"encryptionKey": KEY, "newEncryptionKey": OTHER_KEY}
        assert service.custody(cyd, "rotate-key", rotation).status_code == 200
        # Changes that fail record no event, so none may be sent.
        assert service.create("hook-nobody").status_code == 404
        assert service.create(dee, key=OTHER_KEY).status_code == 409
        assert service.sign(cyd, wallets[cyd]["publicKey"], "1", key=KEY).status_code == 403
        assert service.custody("hook-nobody", "suspend").status_code == 404
        assert service.set_policy(dee, {**POLICY, "allowedOperation": []}).status_code == 400
        # The last event, timed from its request: the commit wakes the dispatcher.
        started = time.monotonic()
        assert service.custody(dee, "suspend").status_code == 200
        expected = service.all_events(wallets.values())
        for receiver in (first, second):
            receiver.wait_for(every(expected), timeout=5)
        latency = time.monotonic() - started
        time.sleep(1.5)  # longer than the dispatcher's poll: anything more would have come
    types = {user: [e.type for e in expected.values() if e.user_id == user] for user in wallets}
    assert types == {
        ada: ["created", "suspended", "resumed"],
        bob: ["created", "policy_set", "sign_refused", "signed"],
        cyd: ["created", "signed", "rotated"],
        dee: ["created", "suspended"],
    }
    for receiver in (first, second):
        assert_delivered_as_listed(receiver, expected)
        assert len(receiver.deliveries) == len(expected), "sent more than once to a healthy one"
    assert latency < 2.0, f"the last event arrived {latency:.2f} s after its request"


def test_a_receiver_down_for_a_while_gets_everything_once_up(tmp_path: Path) -> None:
    secret = new_secret()
    down_for = 2.8  # seconds from the first change: attempts 1 and 2 are refused, 3 is not
    with (
        WebhookReceiver(secret) as flaky,
        WebhookReceiver(secret) as steady,
        delivering(
            _sqlite(tmp_path),
            tmp_path / "server.log",
            secret,
            [flaky, steady],
            FIRST_RETRY_SECONDS="1",
        ) as server,
        Service([server]) as service,
    ):
        flaky.down()
        started = time.monotonic()
        users = _users("down", 3)
        wallets = service.onboard(users)
        for user in users:
            assert service.custody(user, "suspend").status_code == 200
            assert service.custody(user, "resume").status_code == 200
        expected = service.all_events(wallets.values())
        # The other endpoint is not held up by the one that is down.
        steady.wait_for(every(expected), timeout=max(1.0, started + down_for - time.monotonic()))
        time.sleep(max(0.0, started + down_for - time.monotonic()))
        assert flaky.deliveries == []
        flaky.up()
        # Attempt 3 comes 3 to 5 s after the first (attempt 4, up to 11 s later, if the
        # creations were slow enough for attempt 3 to find it still down).
        flaky.wait_for(every(expected), timeout=20)
    assert len(expected) == 9
    assert_delivered_as_listed(flaky, expected)
    assert_delivered_as_listed(steady, expected)
    refused = [line for line in server.log.read_text().splitlines() if "connection refused" in line]
    for head in (event.webhook_id for event in expected.values() if event.sequence == 1):
        assert any(head in line for line in refused), f"{head} was never refused: {refused}"


def _assert_backed_off(attempts: list[Delivery], first_retry: float) -> None:
    """Each attempt started at least the schedule's delay (less its jitter) after the last
    ended: first_retry, then three times longer each time, each less 25 %.
    """
    for n, (before, after) in enumerate(itertools.pairwise(attempts)):
        delay = first_retry * 3**n * 0.75
        assert after.started - before.ended >= delay - SLACK, (n + 1, before, after)


def test_answers_of_500_and_hangs_are_retried_and_ready_stays_up(tmp_path: Path) -> None:
    secret = new_secret()
    users = _users("flaky", 3)
    with (
        WebhookReceiver(secret) as receiver,
        delivering(
            _sqlite(tmp_path),
            tmp_path / "server.log",
            secret,
            [receiver],
            FIRST_RETRY_SECONDS="1",
            TIMEOUT_SECONDS="1",
            LEASE_SECONDS="3",
        ) as server,
        Service([server]) as service,
        ReadyWatch([server]).running() as ready,
    ):
        receiver.answer(500)
        wallets = service.onboard(users)
        for user in users:
            assert service.custody(user, "suspend").status_code == 200
        expected = service.all_events(wallets.values())
        heads = {event.webhook_id for event in expected.values() if event.sequence == 1}
        receiver.wait_for(each_answered(heads, 500), 5, accepted=False)
        receiver.hang(30)  # past the 1 s timeout
        receiver.wait_for(each_answered(heads, None), 10, accepted=False)
        receiver.answer(200)
        receiver.wait_for(every(expected), timeout=20)
        sample = 'wallet_webhook_deliveries_total{outcome="delivered"}'
        (delivered,) = settled_metric([server], sample, len(expected))
        retried = metric(server, 'wallet_webhook_attempts_total{result="retrying"}')
    assert_delivered_as_listed(receiver, expected)
    assert_ids_stable(receiver)
    for head in heads:
        attempts = attempts_of(receiver, head)
        statuses = [attempt.status for attempt in attempts]
        assert 500 in statuses, statuses
        assert None in statuses, statuses  # timed out
        assert statuses[-1] == 200, statuses
        _assert_backed_off(attempts, first_retry=1.0)
        for hung in (attempt for attempt in attempts if attempt.status is None):
            assert 0.9 < hung.ended - hung.started < 2.0, "not given up after the 1 s timeout"
    assert ready.answers, "/ready was never asked"
    assert set(ready.answers) == {200}, ready.answers
    assert delivered == len(expected)
    assert retried >= 6
    log = server.log.read_text()
    assert "HTTP 500" in log
    assert "timeout" in log


def test_sigkill_mid_delivery_then_restart_delivers_everything(tmp_path: Path) -> None:
    secret = new_secret()
    lease = 5.0  # longer than a restart takes, so that waiting for it shows
    users = _users("killed", 3)
    with (
        WebhookReceiver(secret) as receiver,
        delivering(
            _sqlite(tmp_path),
            tmp_path / "server.log",
            secret,
            [receiver],
            FIRST_RETRY_SECONDS="1",
            TIMEOUT_SECONDS="2",
            LEASE_SECONDS=str(lease),
        ) as server,
        Service([server]) as service,
    ):
        receiver.hang(30)
        wallets = service.onboard(users)
        for user in users:
            assert service.custody(user, "suspend").status_code == 200
        expected = service.all_events(wallets.values())
        receiver.wait_for(lambda _: len(set(receiver.in_flight())) >= len(users), 5)
        flying = set(receiver.in_flight())
        server.kill()
        receiver.wait_for(lambda _: not receiver.in_flight(), 3, accepted=False)
        receiver.answer(200)
        server.start()
        receiver.wait_for(every(expected), timeout=15)
    assert_delivered_as_listed(receiver, expected)
    assert_ids_stable(receiver)
    for webhook_id in flying:
        cut, *again = attempts_of(receiver, webhook_id)
        assert cut.status is None, cut
        assert any(attempt.accepted for attempt in again), again
        # Claimed again only once the dead server's lease ran out.
        assert again[0].started - cut.started >= lease - SLACK, (cut, again[0])


@pytest.mark.postgres
def test_two_instances_share_the_deliveries_never_two_at_once(
    migrated_postgres_url: str, tmp_path: Path
) -> None:
    secret = new_secret()
    users = _users("shared", SHARED_WALLETS)
    with WebhookReceiver(secret) as receiver:
        url, timeout = migrated_postgres_url, "20"  # the held creations must not time out
        with (
            delivering(url, tmp_path / "a.log", secret, [receiver], TIMEOUT_SECONDS=timeout) as a,
            delivering(url, tmp_path / "b.log", secret, [receiver], TIMEOUT_SECONDS=timeout) as b,
            Service([a, b]) as service,
        ):
            # Held until every creation is in flight at once: more than one dispatcher may hold,
            # so both instances claimed some of them, from the same rows, at the same time.
            receiver.hang(30)
            wallets = service.onboard(users)
            receiver.wait_for(lambda _: len(set(receiver.in_flight())) == len(users), 10)
            in_flight_at_once = receiver.in_flight()
            receiver.answer(200)
            receiver.hang(0.2)  # long enough in flight for a second sending to overlap it
            for action in ("suspend", "resume"):
                for user in users:
                    assert service.custody(user, action).status_code == 200
            expected = service.all_events(wallets.values())
            receiver.wait_for(every(expected), timeout=20)
            sample = 'wallet_webhook_deliveries_total{outcome="delivered"}'
            by_instance = settled_metric([a, b], sample, len(expected))
    assert len(expected) == 3 * len(users)
    assert sorted(in_flight_at_once) == sorted(set(in_flight_at_once))
    assert_delivered_as_listed(receiver, expected)
    assert receiver.overlaps() == set()
    assert len(receiver.deliveries) == len(expected), "a delivery was sent twice"
    assert sum(by_instance) == len(expected), by_instance
    assert min(by_instance) >= len(users) - IN_FLIGHT_PER_DISPATCHER, by_instance
