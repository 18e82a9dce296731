"""Ports of webhooks: the deliveries owed (an outbox in the store, filled in the transaction of
each audit event) and the sender that carries one to its endpoint.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from domain.webhooks import AttemptOutcome, Delivery, DeliveryKey, DueDelivery


class DeliveryRepository(Protocol):
    """The deliveries still owed, seen through one unit of work.

    The store queues them itself: where endpoints are configured, every audit event appended
    (`WalletEventRepository.append`, `WalletRepository.add` with its first event) queues one
    pending delivery per endpoint, in the same transaction, due at once. A delivered one is
    removed; a failed one stays until an operator requeues it.
    """

    async def claim(
        self, endpoints: Sequence[str], now: datetime, lease: timedelta, claimer: str, limit: int
    ) -> list[DueDelivery]:
        """Up to `limit` deliveries to these endpoints that are due by `now`, each the earliest
        one still pending of its wallet for its endpoint (so a wallet's events go out in
        sequence order), and not leased to anyone (or their lease ran out). They are leased to
        `claimer` until `now + lease`, and their attempts counted. Rows another unit of work is
        claiming at the same moment are skipped, not waited for. Oldest due first. Needs a
        commit.
        """
        ...

    async def delivered(self, key: DeliveryKey, claimer: str) -> bool:
        """Remove the delivery, if `claimer` still holds its lease; whether it did. Needs a
        commit.
        """
        ...

    async def retry_at(
        self, key: DeliveryKey, claimer: str, moment: datetime, outcome: str
    ) -> bool:
        """Release the lease and make the delivery due again at `moment`, noting `outcome`, if
        `claimer` still holds its lease; whether it did. Needs a commit.
        """
        ...

    async def give_up(self, key: DeliveryKey, claimer: str, outcome: str) -> bool:
        """Mark the delivery failed (no more attempts), noting `outcome`, if `claimer` still
        holds its lease; whether it did. Needs a commit.
        """
        ...

    async def listed(
        self, *, failed_only: bool, after: DeliveryKey | None, limit: int
    ) -> list[Delivery]:
        """Up to `limit` deliveries still owed (or only the failed ones), ordered by endpoint,
        wallet id and sequence, after `after`.
        """
        ...

    async def requeue(self, now: datetime, event: tuple[str, int] | None = None) -> int:
        """Make deliveries due at `now` with their attempts reset: every failed one, or (given
        a wallet id and sequence) every one of that event, failed or pending. How many. Needs
        a commit.
        """
        ...

    async def oldest_pending(self) -> datetime | None:
        """When the oldest delivery still pending was queued, or None if none is."""
        ...


class WebhookSender(Protocol):
    """Carries one event to one endpoint, signed, and says how it went."""

    async def send(self, url: str, due: DueDelivery) -> AttemptOutcome:
        """POST the event to `url` (the endpoint `due.key.endpoint` names). A 2xx answer within
        the sender's timeout is delivered; any other answer, a timeout or a failure to connect is
        not. Never raises for what the endpoint or the network does.
        """
        ...
