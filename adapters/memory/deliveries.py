"""The in-memory DeliveryRepository (the webhook outbox), over the transaction of an
InMemoryUnitOfWork: deliveries are queued with the events that make them and committed with them.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.audit import WalletEvent
from domain.webhooks import Delivery, DeliveryKey, DeliveryState, DueDelivery

if TYPE_CHECKING:
    from adapters.memory.unit_of_work import _Transaction


@dataclass(frozen=True, slots=True)
class OwedDelivery:
    """A stored delivery: what is listed, and who holds its lease until when."""

    listed: Delivery
    lease_until: datetime | None = None
    claimed_by: str | None = None

    def settled(self, **changes: object) -> "OwedDelivery":
        return OwedDelivery(replace(self.listed, **changes))  # type: ignore[arg-type]


def queued(endpoints: Sequence[str], event: WalletEvent) -> dict[DeliveryKey, OwedDelivery]:
    """One pending delivery of the event per endpoint, due at once."""
    at = event.occurred_at
    keys = (DeliveryKey(endpoint, event.wallet_id, event.sequence) for endpoint in endpoints)
    return {
        key: OwedDelivery(Delivery(key, event.type, DeliveryState.PENDING, 0, at, at))
        for key in keys
    }


class InMemoryDeliveryRepository:
    """DeliveryRepository over a transaction: staged deliveries (None: removed) first."""

    def __init__(self, tx: "_Transaction") -> None:
        self._tx = tx

    def _all(self) -> dict[DeliveryKey, OwedDelivery]:
        rows = dict(self._tx.store.deliveries)
        for key, row in self._tx.deliveries.items():
            if row is None:
                rows.pop(key, None)
            else:
                rows[key] = row
        return rows

    async def claim(
        self, endpoints: Sequence[str], now: datetime, lease: timedelta, claimer: str, limit: int
    ) -> list[DueDelivery]:
        rows = self._all()
        first_pending: dict[tuple[str, str], int] = {}
        for key, row in rows.items():
            if row.listed.state is DeliveryState.PENDING:
                owner = (key.endpoint, key.wallet_id)
                first_pending[owner] = min(first_pending.get(owner, key.sequence), key.sequence)
        due = sorted(
            (
                row
                for key, row in rows.items()
                if key.endpoint in endpoints
                and row.listed.state is DeliveryState.PENDING
                and row.listed.next_attempt_at <= now
                and (row.lease_until is None or row.lease_until <= now)
                and first_pending[(key.endpoint, key.wallet_id)] == key.sequence
            ),
            key=lambda row: (row.listed.next_attempt_at, row.listed.key.sequence),
        )
        claimed: list[DueDelivery] = []
        for row in due:
            if len(claimed) == limit:
                break
            if not self._lock(row.listed.key):
                continue  # another open unit of work claims it: skipped, as SKIP LOCKED does
            attempts = row.listed.attempts + 1
            listed = replace(row.listed, attempts=attempts)
            self._tx.deliveries[listed.key] = OwedDelivery(listed, now + lease, claimer)
            claimed.append(self._due(listed.key, attempts))
        return claimed

    def _lock(self, key: DeliveryKey) -> bool:
        """Hold the delivery's row for this transaction, unless another holds it."""
        lock = ("webhook_deliveries", f"{key.endpoint}\n{key.wallet_id}\n{key.sequence}")
        holder = self._tx.store.claims.get(lock)
        if holder is None:
            self._tx.store.claims[lock] = self._tx.ended
            self._tx.claimed.append(lock)
        return holder is None or holder is self._tx.ended

    def _due(self, key: DeliveryKey, attempts: int) -> DueDelivery:
        events = self._tx.store.events[key.wallet_id]
        event = next(event for event in events if event.sequence == key.sequence)
        wallet = next(w for w in self._tx.store.wallets_by_user.values() if w.id == key.wallet_id)
        return DueDelivery(key, event, wallet.user_id, wallet.public_key, attempts)

    def _held(self, key: DeliveryKey, claimer: str) -> OwedDelivery | None:
        row = self._all().get(key)
        return row if row is not None and row.claimed_by == claimer else None

    async def delivered(self, key: DeliveryKey, claimer: str) -> bool:
        if self._held(key, claimer) is None:
            return False
        self._tx.deliveries[key] = None
        return True

    async def retry_at(
        self, key: DeliveryKey, claimer: str, moment: datetime, outcome: str
    ) -> bool:
        row = self._held(key, claimer)
        if row is None:
            return False
        self._tx.deliveries[key] = row.settled(next_attempt_at=moment, last_outcome=outcome)
        return True

    async def give_up(self, key: DeliveryKey, claimer: str, outcome: str) -> bool:
        row = self._held(key, claimer)
        if row is None:
            return False
        self._tx.deliveries[key] = row.settled(state=DeliveryState.FAILED, last_outcome=outcome)
        return True

    async def listed(
        self, *, failed_only: bool, after: DeliveryKey | None, limit: int
    ) -> list[Delivery]:
        def order(key: DeliveryKey) -> tuple[str, str, int]:
            return key.endpoint, key.wallet_id, key.sequence

        return [
            row.listed
            for key, row in sorted(self._all().items(), key=lambda item: order(item[0]))
            if (after is None or order(key) > order(after))
            and (not failed_only or row.listed.state is DeliveryState.FAILED)
        ][:limit]

    async def requeue(self, now: datetime, event: tuple[str, int] | None = None) -> int:
        chosen = [
            row
            for key, row in self._all().items()
            if (event is None and row.listed.state is DeliveryState.FAILED)
            or (event is not None and (key.wallet_id, key.sequence) == event)
        ]
        for row in chosen:
            self._tx.deliveries[row.listed.key] = row.settled(
                state=DeliveryState.PENDING, attempts=0, next_attempt_at=now
            )
        return len(chosen)

    async def oldest_pending(self) -> datetime | None:
        pending = [
            row.listed.created_at
            for row in self._all().values()
            if row.listed.state is DeliveryState.PENDING
        ]
        return min(pending, default=None)
