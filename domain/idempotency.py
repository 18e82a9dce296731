"""Idempotency keys: a client's key for one changing request, so that a retry gets the first
answer instead of running the change again.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class KeptResponse:
    """The answer kept for a key: status, body and its media type."""

    status: int
    body: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """One token's key: a keyed hash of the request it was first used for, when that request
    started, until when the key is kept, and its answer (None while it runs, or if the process
    running it died).
    """

    token_id: str
    key: str
    request_hash: str
    started_at: datetime
    expires_at: datetime
    response: KeptResponse | None = None
