"""A webhook's body: the event as `GET /wallets/user/{userId}/events` shows it (its details in
the API's words), with the wallet it happened to.
"""

import msgspec

from domain.webhooks import DueDelivery
from entrypoints.http.schemas import wire_name


def webhook_body(due: DueDelivery) -> bytes:
    """`{"type": "wallet.<event type>", "timestamp", "data": {walletId, userId, publicKey,
    sequence, details}}` as JSON.
    """
    event = due.event
    return msgspec.json.encode(
        {
            "type": f"wallet.{event.type}",
            "timestamp": event.occurred_at,
            "data": {
                "walletId": event.wallet_id,
                "userId": due.user_id,
                "publicKey": due.public_key,
                "sequence": event.sequence,
                "details": {wire_name(name): value for name, value in event.details.items()},
            },
        }
    )
