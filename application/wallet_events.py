"""ListWalletEvents and VerifyAuditTrail: reading and checking the audit trail."""

from collections.abc import Callable
from dataclasses import dataclass

from domain.audit import BrokenLink, WalletEvent, first_broken_link
from domain.errors import Field, InvalidInput, WalletNotFound
from domain.model import check_id
from domain.ports import UnitOfWork

MAX_PAGE = 100
_EVENTS_PER_READ = 1000


@dataclass(frozen=True, slots=True)
class EventPage:
    """Events in sequence order, and the cursor for the next page (None at the end)."""

    events: list[WalletEvent]
    next_cursor: int | None


class ListWalletEvents:
    """The user's wallet events after `cursor` (a sequence number), at most `limit` (1 to 100).
    WalletNotFound if the user has no wallet; InvalidInput for a bad cursor or limit.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, user_id: str, cursor: int = 0, limit: int = 50) -> EventPage:
        if cursor < 0:
            raise InvalidInput(Field.CURSOR, "must be zero or more")
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(Field.LIMIT, f"must be 1 to {MAX_PAGE}")
        async with self._uow as uow:
            wallet = await uow.wallets.get_by_user(check_id(Field.USER_ID, user_id))
            if wallet is None:
                raise WalletNotFound(user_id)
            events = await uow.events.after(wallet.id, cursor, limit + 1)
        more = len(events) > limit
        page = events[:limit]
        return EventPage(page, page[-1].sequence if more and page else None)


@dataclass(frozen=True, slots=True)
class AuditReport:
    """How many wallets were checked, and the first broken link of each broken chain."""

    wallets_checked: int
    broken: list[BrokenLink]


class VerifyAuditTrail:
    """Check every wallet's chain (see `first_broken_link`), a batch of wallets per unit of
    work. Read only.
    """

    def __init__(self, uow_factory: Callable[[], UnitOfWork], batch_size: int = 500) -> None:
        self._uow_factory = uow_factory
        self._batch_size = batch_size

    async def __call__(self) -> AuditReport:
        checked, broken, after = 0, list[BrokenLink](), None
        while True:
            async with self._uow_factory() as uow:
                wallet_ids = await uow.wallets.read_ids(after, self._batch_size)
                for wallet_id in wallet_ids:
                    events = await _all_events(uow, wallet_id)
                    link = first_broken_link(wallet_id, events)
                    if link is not None:
                        broken.append(link)
            checked += len(wallet_ids)
            if len(wallet_ids) < self._batch_size:
                return AuditReport(checked, broken)
            after = wallet_ids[-1]


async def _all_events(uow: UnitOfWork, wallet_id: str) -> list[WalletEvent]:
    events: list[WalletEvent] = []
    while True:
        cursor = events[-1].sequence if events else 0
        batch = await uow.events.after(wallet_id, cursor, _EVENTS_PER_READ)
        events += batch
        if len(batch) < _EVENTS_PER_READ:
            return events
