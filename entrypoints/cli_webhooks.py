"""`wallet-orchestrator webhooks list|retry`: what the outbox still owes, and sending failed
deliveries again.
"""

import argparse
import sys
from datetime import datetime
from typing import Any

import msgspec

from domain.webhooks import Delivery
from entrypoints.cli_keys import UsageError
from entrypoints.container import Container
from entrypoints.errors import EXIT_OK

ACTIONS = ("list", "retry")


def add_parser(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> argparse.ArgumentParser:
    """The command's parser (it also takes --no-migrate, added by the caller)."""
    webhooks = commands.add_parser(
        "webhooks",
        help="the webhook outbox: list prints every delivery still owed (pending or failed; "
        "--failed: failed only) as JSON lines; retry makes failed deliveries (--all-failed) or "
        "every delivery of one event (--event-id) due now, attempts reset",
    )
    webhooks.add_argument("action", choices=ACTIONS)
    webhooks.add_argument("--failed", action="store_true", help="list: failed deliveries only")
    which = webhooks.add_mutually_exclusive_group()
    which.add_argument("--all-failed", action="store_true", help="retry: every failed delivery")
    which.add_argument("--event-id", help="retry: every delivery of this event (evt_…)")
    return webhooks


async def run_webhooks(container: Container, args: argparse.Namespace) -> int:
    if args.action == "list":
        async for delivery in container.list_deliveries()(failed_only=args.failed):
            sys.stdout.buffer.write(msgspec.json.encode(listed(delivery)) + b"\n")
        sys.stdout.flush()
        return EXIT_OK
    if not args.all_failed and args.event_id is None:
        raise UsageError("webhooks retry needs --all-failed or --event-id")
    requeued = await container.requeue_deliveries()(None if args.all_failed else args.event_id)
    print(msgspec.json.encode({"requeued": requeued}).decode())
    return EXIT_OK


def listed(delivery: Delivery) -> dict[str, Any]:
    """One delivery as a JSON object (its endpoint as the outbox names it: no credential)."""
    key = delivery.key
    return {
        "eventId": key.event_id,
        "walletId": key.wallet_id,
        "sequence": key.sequence,
        "type": delivery.event_type,
        "endpoint": key.endpoint,
        "state": str(delivery.state),
        "attempts": delivery.attempts,
        "nextAttemptAt": _moment(delivery.next_attempt_at),
        "queuedAt": _moment(delivery.created_at),
        "lastOutcome": delivery.last_outcome,
    }


def _moment(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
