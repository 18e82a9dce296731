"""Webhook deliveries: each audit event owed to each endpoint, tried until it is delivered or the
retry schedule gives up on it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.audit import WalletEvent

EVENT_ID_PREFIX = "evt_"


def event_id(wallet_id: str, sequence: int) -> str:
    """The event's stable id, the same in every delivery of it to every endpoint."""
    return f"{EVENT_ID_PREFIX}{wallet_id}_{sequence}"


def parse_event_id(text: str) -> tuple[str, int] | None:
    """The wallet id and sequence an event id names, or None if it is not one."""
    if not text.startswith(EVENT_ID_PREFIX):
        return None
    wallet_id, _, sequence = text.removeprefix(EVENT_ID_PREFIX).rpartition("_")
    if not wallet_id or not sequence.isascii() or not sequence.isdigit() or len(sequence) > 9:
        return None
    return wallet_id, int(sequence)


class DeliveryState(StrEnum):
    """Where a delivery stands. A delivered one is gone: only what is still owed is kept."""

    PENDING = "pending"
    """To be tried (again) at its next attempt time."""
    FAILED = "failed"
    """Given up after the schedule's last attempt; sent again only when an operator says so."""


@dataclass(frozen=True, slots=True)
class DeliveryKey:
    """One event owed to one endpoint."""

    endpoint: str
    wallet_id: str
    sequence: int

    @property
    def event_id(self) -> str:
        return event_id(self.wallet_id, self.sequence)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A delivery still owed, as an operator lists it. `last_outcome` says how the last attempt
    went (an HTTP status, "timeout", "connection refused"), never what the endpoint answered.
    """

    key: DeliveryKey
    event_type: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_outcome: str | None = None


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery, with what its message is made of. `attempts` counts this one."""

    key: DeliveryKey
    event: WalletEvent
    user_id: str
    public_key: str
    attempts: int


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """How one attempt went: delivered (a 2xx) or not, and in a few words."""

    delivered: bool
    summary: str


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """When to try again after a failed attempt: `first_delay` seconds after the first, then
    `factor` times longer each time up to `longest`, each delay moved by up to ±`jitter` of itself
    so that deliveries failed together do not return together. After `max_attempts` attempts,
    none: the delivery has failed.

    The defaults (5 s, three times longer each time, at most 6 h, 12 attempts) spread the
    attempts over about a day: 5 s, 15 s, 45 s, 2¼ min, 6¾ min, 20 min, 1 h, 3 h, then 6 h
    three times.
    """

    max_attempts: int = 12
    first_delay: float = 5.0
    factor: float = 3.0
    longest: float = 6 * 3600.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 < self.first_delay <= self.longest or self.factor < 1:
            raise ValueError("delays must be positive, growing, and the first the shortest")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be at least 0 and less than 1")

    def delay_after(self, attempts: int, chance: float) -> timedelta | None:
        """How long to wait after the `attempts`-th failed attempt, `chance` (uniform in [0, 1))
        placing it within the jitter; None once `attempts` reaches the maximum.
        """
        if attempts >= self.max_attempts:
            return None
        steps = max(attempts - 1, 0)
        base = self.longest
        if steps < 64 and self.first_delay * self.factor**steps < self.longest:
            base = self.first_delay * self.factor**steps
        return timedelta(seconds=base * (1 + self.jitter * (2 * chance - 1)))

    def span(self) -> timedelta:
        """The time from the first attempt to the last, without jitter."""
        return sum(
            (self.delay_after(n, 0.5) or timedelta() for n in range(1, self.max_attempts)),
            timedelta(),
        )
