"""DeliverWebhooks: the dispatcher that empties the outbox, at least once, in order per wallet."""

import asyncio
import contextlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.ids import new_id
from domain.model import utc_now
from domain.ports import UnitOfWork, WebhookSender
from domain.webhooks import AttemptOutcome, DueDelivery, RetrySchedule

DELIVERED, RETRYING, FAILED = "delivered", "retrying", "failed"
"""What became of one attempt: delivered, to be tried again, or given up on."""


def _ignore(*_: object) -> None:
    return None


class Doorbell:
    """Rung after each commit that queued deliveries, and after each delivery (the wallet's next
    event may be due): the dispatcher waits for it, or for its poll interval.
    """

    def __init__(self) -> None:
        self._rung = asyncio.Event()

    def ring(self) -> None:
        """What a unit of work calls after a commit that queued deliveries."""
        self._rung.set()

    async def wait(self, seconds: float) -> None:
        """Until rung (at once if rung since the last wait) or `seconds` have passed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._rung.wait()
        self._rung.clear()


@dataclass(frozen=True, slots=True)
class DispatchPlan:
    """Where to deliver and how: the endpoints (each URL by the label the outbox stores it
    under), the lease a claim holds, the retry schedule, how many deliveries may be in flight at
    once, and the longest wait between two looks at the outbox when nothing rings.
    """

    endpoints: Mapping[str, str]
    lease: timedelta = timedelta(seconds=30)
    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    in_flight: int = 32
    poll_seconds: float = 1.0
    grace_seconds: float = 2.0


@dataclass(frozen=True, slots=True)
class DispatchListeners:
    """What the dispatcher tells the outside (metrics, logs): each attempt's result (DELIVERED,
    RETRYING or FAILED) with its delivery and outcome, the age of the oldest delivery still
    pending (seconds, 0 when none), and each failure of its own.
    """

    on_attempt: Callable[[str, DueDelivery, AttemptOutcome], None] = _ignore
    on_backlog: Callable[[float], None] = _ignore
    on_error: Callable[[BaseException], None] = _ignore


class DeliverWebhooks:
    """Delivers what the outbox owes, until cancelled.

    Each round claims, in a unit of work of its own, as many due deliveries as there are free
    places in flight: a lease of `plan.lease` under this dispatcher's own random claimer id,
    each the earliest pending event of its wallet for its endpoint (so a wallet's events reach
    an endpoint in sequence order; different wallets never wait for each other). Each claimed
    delivery is sent outside any unit of work, then settled in one of its own: removed when
    delivered (2xx), else due again after the schedule's delay, or marked failed after the last
    attempt. A settle that finds the lease taken over (it ran out and another dispatcher
    claimed the delivery) changes nothing. A dispatcher that dies leaves its leases to run out:
    those deliveries are sent again, with the same event id (at least once, not exactly once).

    Between rounds it waits for the doorbell or `plan.poll_seconds`. A store that fails (or any
    other error of a round) is told to `on_error` and the next round tries again: the
    dispatcher never stops on its own. Cancelled, it gives the deliveries in flight
    `plan.grace_seconds` to finish, then cancels them (their leases run out).
    """

    def __init__(  # noqa: PLR0913 - the outbox, the sender, the plan and its hooks, by name
        self,
        uow_factory: Callable[[], UnitOfWork],
        sender: WebhookSender,
        plan: DispatchPlan,
        doorbell: Doorbell,
        *,
        listeners: DispatchListeners | None = None,
        clock: Callable[[], datetime] = utc_now,
        chance: Callable[[], float] = random.random,
    ) -> None:
        self._uow_factory = uow_factory
        self._sender = sender
        self._plan = plan
        self._doorbell = doorbell
        self._listeners = listeners or DispatchListeners()
        self._clock = clock
        self._chance = chance
        self._claimer = new_id()
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        try:
            while True:
                claimed = await self._round()
                if not claimed:
                    await self._doorbell.wait(self._plan.poll_seconds)
                elif len(self._in_flight) >= self._plan.in_flight:
                    await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self._finish_in_flight()

    async def drain(self) -> int:
        """Claim and deliver, round after round, until a round finds nothing due; how many
        attempts were made. For one-off use (tests, a command), not alongside `run`.
        """
        attempts = 0
        while claimed := await self._claim(self._plan.in_flight):
            await asyncio.gather(*(self._deliver(due) for due in claimed))
            attempts += len(claimed)
        return attempts

    async def _round(self) -> int:
        free = self._plan.in_flight - len(self._in_flight)
        try:
            claimed = await self._claim(free) if free > 0 else []
        except Exception as error:  # noqa: BLE001 - told to on_error; the next round retries
            self._listeners.on_error(error)
            return 0
        for due in claimed:
            task = asyncio.create_task(self._deliver(due))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(claimed)

    async def _claim(self, limit: int) -> Sequence[DueDelivery]:
        now = self._clock()
        async with self._uow_factory() as uow:
            claimed = await uow.deliveries.claim(
                tuple(self._plan.endpoints), now, self._plan.lease, self._claimer, limit
            )
            oldest = await uow.deliveries.oldest_pending()
            await uow.commit()
        self._listeners.on_backlog(0.0 if oldest is None else (now - oldest).total_seconds())
        return claimed

    async def _deliver(self, due: DueDelivery) -> None:
        try:
            outcome = await self._sender.send(self._plan.endpoints[due.key.endpoint], due)
            result = await self._settle(due, outcome)
        except Exception as error:  # noqa: BLE001 - its lease runs out and it is sent again
            self._listeners.on_error(error)
            return
        self._listeners.on_attempt(result, due, outcome)
        self._doorbell.ring()

    async def _settle(self, due: DueDelivery, outcome: AttemptOutcome) -> str:
        key = due.key
        async with self._uow_factory() as uow:
            if outcome.delivered:
                await uow.deliveries.delivered(key, self._claimer)
                result = DELIVERED
            else:
                delay = self._plan.schedule.delay_after(due.attempts, self._chance())
                if delay is None:
                    await uow.deliveries.give_up(key, self._claimer, outcome.summary)
                    result = FAILED
                else:
                    moment = self._clock() + delay
                    await uow.deliveries.retry_at(key, self._claimer, moment, outcome.summary)
                    result = RETRYING
            await uow.commit()
        return result

    async def _finish_in_flight(self) -> None:
        if not self._in_flight:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._plan.grace_seconds):
                await asyncio.gather(*self._in_flight, return_exceptions=True)
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
