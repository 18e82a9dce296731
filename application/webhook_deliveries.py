"""What an operator does with the outbox: list what is still owed, send failed deliveries again."""

from collections.abc import AsyncIterator, Callable

from domain.errors import Field, InvalidInput
from domain.model import utc_now
from domain.ports import UnitOfWork
from domain.webhooks import Delivery, DeliveryKey, parse_event_id


class ListDeliveries:
    """Every delivery still owed (pending or failed), or only the failed ones, ordered by
    endpoint, wallet and sequence, read `page_size` at a time, each page in a unit of work of
    its own.
    """

    def __init__(self, uow_factory: Callable[[], UnitOfWork], page_size: int = 500) -> None:
        self._uow_factory = uow_factory
        self._page_size = page_size

    async def __call__(self, *, failed_only: bool) -> AsyncIterator[Delivery]:
        after: DeliveryKey | None = None
        while True:
            async with self._uow_factory() as uow:
                page = await uow.deliveries.listed(
                    failed_only=failed_only, after=after, limit=self._page_size
                )
            for delivery in page:
                yield delivery
            if len(page) < self._page_size:
                return
            after = page[-1].key


class RequeueDeliveries:
    """Make deliveries due now, their attempts reset: every failed one (`event_id` None), or
    every one of the event `event_id` names (to each endpoint, failed or still pending; an event
    already delivered everywhere has none left: 0). InvalidInput for a malformed event id.
    Returns how many.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, event_id: str | None = None) -> int:
        event = None
        if event_id is not None:
            event = parse_event_id(event_id)
            if event is None:
                reason = "is not an event id (evt_<wallet id>_<sequence>)"
                raise InvalidInput(Field.EVENT_ID, reason)
        async with self._uow as uow:
            count = await uow.deliveries.requeue(utc_now(), event)
            await uow.commit()
        return count
