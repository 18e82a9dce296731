"""Webhooks' pieces on their own: the retry schedule, event ids, the settings, the sender."""

import base64
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from adapters.webhooks.standard_sender import StandardWebhookSender
from domain.audit import EventType, WalletEvent
from domain.webhooks import DeliveryKey, DueDelivery, RetrySchedule, event_id, parse_event_id
from entrypoints.settings import Settings, SettingsError
from entrypoints.webhook_payload import webhook_body
from entrypoints.webhook_settings import WebhookSettings, endpoint_label
from tests.webhook_receiver import WebhookReceiver, new_secret

SECRET = new_secret()
URL = "https://hooks.example.com/wallets"


def test_the_default_schedule_spreads_twelve_attempts_over_about_a_day() -> None:
    schedule = RetrySchedule()
    delays = [schedule.delay_after(n, 0.5) for n in range(1, 12)]
    assert [d.total_seconds() for d in delays if d is not None] == [
        5,
        15,
        45,
        135,
        405,
        1215,
        3645,
        10935,
        21600,
        21600,
        21600,
    ]
    assert schedule.delay_after(12, 0.5) is None
    assert timedelta(hours=20) < schedule.span() < timedelta(hours=26)


@given(attempts=st.integers(1, 200), chance=st.floats(0, 1, exclude_max=True))
def test_jitter_keeps_each_delay_within_a_quarter_of_its_base(attempts: int, chance: float) -> None:
    schedule = RetrySchedule(max_attempts=1000)
    delay = schedule.delay_after(attempts, chance)
    base = schedule.delay_after(attempts, 0.5)
    assert delay is not None
    assert base is not None
    assert 0.75 * base <= delay <= 1.25 * base
    assert base <= timedelta(seconds=schedule.longest)


@pytest.mark.parametrize(
    "changes",
    [{"max_attempts": 0}, {"first_delay": 0}, {"factor": 0.5}, {"jitter": 1.0}],
)
def test_a_schedule_that_cannot_work_is_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetrySchedule(**changes)  # type: ignore[arg-type]


@given(
    wallet_id=st.uuids().map(str) | st.text(min_size=1).filter(lambda s: "\n" not in s),
    sequence=st.integers(1, 10**9 - 1),
)
def test_an_event_id_names_its_wallet_and_sequence(wallet_id: str, sequence: int) -> None:
    assert parse_event_id(event_id(wallet_id, sequence)) == (wallet_id, sequence)


@pytest.mark.parametrize(
    "text", ["", "evt_", "evt_abc", "evt__1", "evt_abc_", "evt_abc_x", "abc_1", "evt_a_1234567890"]
)
def test_what_is_not_an_event_id_is_refused(text: str) -> None:
    assert parse_event_id(text) is None


def _environ(**values: str) -> dict[str, str]:
    return {"WALLET_WEBHOOK_URL": URL, "WALLET_WEBHOOK_SECRET": SECRET} | values


def test_webhooks_are_off_unless_an_endpoint_is_set() -> None:
    assert not Settings.from_env({}).webhooks.enabled
    settings = Settings.from_env(_environ()).webhooks
    assert settings.enabled
    assert settings.endpoints == (URL,)
    assert settings.schedule == RetrySchedule()
    assert (settings.timeout, settings.lease) == (10.0, 30.0)


def test_the_schedule_and_timeouts_come_from_the_environment() -> None:
    settings = WebhookSettings.from_env(
        _environ(
            WALLET_WEBHOOK_MAX_ATTEMPTS="3",
            WALLET_WEBHOOK_FIRST_RETRY_SECONDS="1",
            WALLET_WEBHOOK_TIMEOUT_SECONDS="2",
            WALLET_WEBHOOK_LEASE_SECONDS="4",
        )
    )
    assert (settings.schedule.max_attempts, settings.schedule.first_delay) == (3, 1.0)
    assert (settings.timeout, settings.lease) == (2.0, 4.0)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"WALLET_WEBHOOK_SECRET": SECRET}, "WALLET_WEBHOOK_URL is not"),
        (_environ(WALLET_WEBHOOK_SECRET=""), "WALLET_WEBHOOK_SECRET must be set"),
        (_environ(WALLET_WEBHOOK_SECRET="s3cr3t-value"), "start with whsec_"),
        (_environ(WALLET_WEBHOOK_SECRET="whsec_not base64!"), "standard base64"),
        (
            _environ(WALLET_WEBHOOK_SECRET="whsec_" + base64.b64encode(b"x" * 23).decode()),
            "at least 24",
        ),
        (_environ(WALLET_WEBHOOK_URL="ftp://files.example.com/x"), "http:// or https://"),
        (_environ(WALLET_WEBHOOK_URL="https://:8443/x"), "http:// or https://"),
        (
            _environ(WALLET_WEBHOOK_URL=f"{URL}?a=1,{URL}?a=2"),
            "differ only in credentials or query",
        ),
        (_environ(WALLET_WEBHOOK_LEASE_SECONDS="10"), "longer than"),
        (_environ(WALLET_WEBHOOK_MAX_ATTEMPTS="0"), "WALLET_WEBHOOK_MAX_ATTEMPTS"),
        (_environ(WALLET_WEBHOOK_FIRST_RETRY_SECONDS="100000"), "FIRST_RETRY"),
    ],
)
def test_a_bad_webhook_setting_is_named_without_its_value(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named) as raised:
        WebhookSettings.from_env(environ)
    message = str(raised.value)
    for value in environ.values():
        if value and "WALLET" not in value:
            assert value not in message


def test_an_endpoint_label_keeps_no_credential_or_query() -> None:
    url = "https://user:pass@hooks.example.com:8443/in/wallets?token=abc#frag"
    assert endpoint_label(url) == "https://hooks.example.com:8443/in/wallets"
    assert "pass" not in repr(WebhookSettings(endpoints=(url,), secret=SECRET))
    assert SECRET.removeprefix("whsec_") not in repr(WebhookSettings((url,), SECRET))


def _due(sequence: int = 1) -> DueDelivery:
    event = WalletEvent.after(None, "w-1", EventType.CREATED, None)
    return DueDelivery(DeliveryKey("label", "w-1", sequence), event, "ada", "GABC", 1)


async def test_the_sender_signs_what_the_specifications_library_verifies() -> None:
    sender = StandardWebhookSender(SECRET, timeout=2, body_of=webhook_body)
    with WebhookReceiver(SECRET) as receiver:
        outcome = await sender.send(receiver.url, _due())
        await sender.aclose()
        (delivery,) = receiver.deliveries
    assert (outcome.delivered, outcome.summary) == (True, "HTTP 200")
    assert delivery.verified
    assert delivery.webhook_id == "evt_w-1_1"
    now = datetime.now(UTC).timestamp()
    assert abs(int(delivery.timestamp) - now) < 60
    headers = {
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": delivery.timestamp,
        "webhook-signature": delivery.signature,
    }
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(delivery.body, headers)


@pytest.mark.parametrize(
    ("status", "delivered", "summary"),
    [(204, True, "HTTP 204"), (500, False, "HTTP 500"), (410, False, "HTTP 410")],
)
async def test_only_a_2xx_is_delivered(status: int, delivered: bool, summary: str) -> None:
    sender = StandardWebhookSender(SECRET, timeout=2, body_of=webhook_body)
    with WebhookReceiver(SECRET) as receiver:
        receiver.answer(status)
        outcome = await sender.send(receiver.url, _due())
        await sender.aclose()
    assert (outcome.delivered, outcome.summary) == (delivered, summary)


async def test_a_refused_connection_and_a_redirect_are_not_delivered() -> None:
    sender = StandardWebhookSender(SECRET, timeout=2, body_of=webhook_body)
    with WebhookReceiver(SECRET) as receiver:
        receiver.down()
        refused = await sender.send(receiver.url, _due())
        receiver.up()
        receiver.answer(307)
        redirected = await sender.send(receiver.url, _due())
        await sender.aclose()
    assert (refused.delivered, refused.summary) == (False, "connection refused")
    assert (redirected.delivered, redirected.summary) == (False, "HTTP 307, redirect not followed")


def test_the_body_names_details_as_the_events_route_does() -> None:
    details = {"transaction_hash": "ab" * 32, "network_passphrase": "Test SDF Network"}
    event = WalletEvent.after(None, "w-1", EventType.SIGNED, "t1", details)
    due = DueDelivery(DeliveryKey("label", "w-1", 1), event, "ada", "GABC", 1)
    body = msgspec.json.decode(webhook_body(due))
    assert body == {
        "type": "wallet.signed",
        "timestamp": msgspec.json.decode(msgspec.json.encode(event.occurred_at)),
        "data": {
            "walletId": "w-1",
            "userId": "ada",
            "publicKey": "GABC",
            "sequence": 1,
            "details": {"transactionHash": "ab" * 32, "networkPassphrase": "Test SDF Network"},
        },
    }
