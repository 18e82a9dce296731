"""`wallet-orchestrator webhooks list|retry`: the deliveries still owed as JSON lines, and failed
ones (or one event's) made due again.
"""

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from domain.model import utc_now
from domain.secrets import EncryptionKey
from entrypoints import cli
from entrypoints.container import open_container
from entrypoints.errors import EXIT_OK, EXIT_USAGE
from entrypoints.settings import Settings
from tests.support import FAST_KDF, KEY
from tests.webhook_receiver import new_secret

ENDPOINT = "http://hook-user:hook-password@127.0.0.1:9/hooks?token=abc123"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WALLET_KDF_MEMORY_KIB", str(FAST_KDF.memory_kib))
    monkeypatch.setenv("WALLET_KDF_ITERATIONS", str(FAST_KDF.iterations))
    monkeypatch.setenv("WALLET_WEBHOOK_URL", ENDPOINT)
    monkeypatch.setenv("WALLET_WEBHOOK_SECRET", new_secret())


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[Any], str]:
    code = cli.main(["webhooks", *argv])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def _ada_failed_and_bob_pending() -> None:
    """Ada's and bob's wallets created (one event each owed); ada's delivery given up on."""

    async def prepare() -> None:
        async with open_container(Settings.from_env()) as container:
            for user_id in ("ada", "bob"):
                await container.register_user()(
                    RegisterUserRequest(f"{user_id}@example.com", user_id)
                )
                request = CreateWalletRequest(user_id, EncryptionKey.from_text(KEY))
                await container.create_user_wallet()(request)
            labels = container.settings().webhooks.labels
            async with container.unit_of_work() as uow:
                due = await uow.deliveries.claim(labels, utc_now(), timedelta(seconds=1), "t", 9)
                ada = next(d for d in due if d.user_id == "ada")
                await uow.deliveries.give_up(ada.key, "t", "HTTP 500")
                await uow.commit()

    asyncio.run(prepare())


def test_list_prints_every_delivery_still_owed_without_the_endpoints_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _ada_failed_and_bob_pending()
    code, listed, _ = _run(capsys, "list")
    assert code == EXIT_OK
    assert sorted((d["state"], d["attempts"], d["lastOutcome"]) for d in listed) == [
        ("failed", 1, "HTTP 500"),
        ("pending", 1, None),
    ]
    assert {d["endpoint"] for d in listed} == {"http://127.0.0.1:9/hooks"}
    assert all(d["eventId"] == f"evt_{d['walletId']}_{d['sequence']}" for d in listed)
    assert {d["type"] for d in listed} == {"created"}
    assert "hook-password" not in json.dumps(listed)
    assert "abc123" not in json.dumps(listed)
    code, failed, _ = _run(capsys, "list", "--failed")
    assert [d["state"] for d in failed] == ["failed"]


def test_retry_all_failed_makes_them_due_now_with_their_attempts_reset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _ada_failed_and_bob_pending()
    assert _run(capsys, "retry", "--all-failed")[:2] == (EXIT_OK, [{"requeued": 1}])
    assert _run(capsys, "list", "--failed")[1] == []
    states = {(d["state"], d["attempts"]) for d in _run(capsys, "list")[1]}
    assert states == {("pending", 0), ("pending", 1)}
    assert _run(capsys, "retry", "--all-failed")[1] == [{"requeued": 0}]


def test_retry_one_event_by_its_id(capsys: pytest.CaptureFixture[str]) -> None:
    _ada_failed_and_bob_pending()
    (failed,) = _run(capsys, "list", "--failed")[1]
    assert _run(capsys, "retry", "--event-id", failed["eventId"])[1] == [{"requeued": 1}]
    assert _run(capsys, "list", "--failed")[1] == []


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (("retry",), EXIT_USAGE, "needs --all-failed or --event-id"),
        (("retry", "--event-id", "not-an-event"), 1, "--event-id: is not an event id"),
    ],
)
def test_a_retry_without_a_target_or_with_a_bad_id_is_refused(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], code: int, says: str
) -> None:
    returned, printed, err = _run(capsys, *argv)
    assert (returned, printed) == (code, [])
    assert says in err
