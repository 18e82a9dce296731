"""Audit events as rows of `wallet_events` and back: details as canonical JSON text."""

import json
from typing import Any

from sqlalchemy import Row

from adapters.sql.conventions import from_db, to_db
from domain.audit import WalletEvent


def event_row(event: WalletEvent) -> dict[str, Any]:
    return {
        "walletId": event.wallet_id,
        "sequence": event.sequence,
        "type": str(event.type),
        "occurredAt": to_db(event.occurred_at),
        "tokenId": event.token_id,
        "details": json.dumps(event.details, sort_keys=True, separators=(",", ":")),
        "prevHash": event.prev_hash,
        "hash": event.hash,
    }


def event_of_row(row: Row[Any]) -> WalletEvent:
    details = json.loads(row.details)
    return WalletEvent(
        wallet_id=row.walletId,
        sequence=row.sequence,
        type=row.type,
        occurred_at=from_db(row.occurredAt),
        token_id=row.tokenId,
        details={str(key): str(value) for key, value in details.items()},
        prev_hash=row.prevHash,
        hash=row.hash,
    )
