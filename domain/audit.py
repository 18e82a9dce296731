"""The audit trail: per-wallet events, each chained to the previous one by a hash."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.model import utc_now

GENESIS_HASH = "0" * 64
"""The `prev_hash` of a wallet's first event."""


class EventType(StrEnum):
    """What happened to a wallet."""

    CREATED = "created"
    SIGNED = "signed"
    ROTATED = "rotated"
    EXPORTED = "exported"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    REWRAPPED = "rewrapped"
    """Its second factor was wrapped again by the key-management backend's newest key."""
    UPGRADED = "upgraded"
    """Re-sealed, same caller key, in the envelope format the deployment writes now."""
    ACTIVATION_SIGNED = "activation_signed"
    """It signed a sponsored activation, as the account activated or as its sponsor."""
    SIGNER_CHANGE_SIGNED = "signer_change_signed"
    """It signed a change of its account's signers or thresholds."""
    ESCROWED = "escrowed"
    """Its seed was escrowed (again) to the recovery key, by `recovery escrow`."""
    SIGN_REFUSED = "sign_refused"
    """Its signing policy refused a transaction (the rule and operation say why); nothing was
    signed."""
    POLICY_SET = "policy_set"
    """A signing policy of its own was set (replacing the deployment's default for it)."""
    POLICY_REMOVED = "policy_removed"
    """Its own signing policy was removed: the deployment's default is in force again."""
    RECOVERED = "recovered"
    """Its seed was taken from its escrow with the rebuilt recovery key and sealed under a new
    caller key (`recovery restore`, `recovery import`)."""


@dataclass(frozen=True, slots=True)
class WalletEvent:
    """One change to a wallet. `hash` covers every other field, `prev_hash` included, so that
    editing, removing or reordering events breaks the chain. `details` never holds a secret.
    """

    wallet_id: str
    sequence: int
    type: str  # an EventType; plain text so that a stored unknown type can still be verified
    occurred_at: datetime
    token_id: str | None
    details: dict[str, str] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    @classmethod
    def after(
        cls,
        previous: "WalletEvent | None",
        wallet_id: str,
        event_type: EventType,
        token_id: str | None,
        details: dict[str, str] | None = None,
    ) -> "WalletEvent":
        """The next event of the wallet's chain (the first when `previous` is None)."""
        event = cls(
            wallet_id=wallet_id,
            sequence=1 if previous is None else previous.sequence + 1,
            type=event_type,
            occurred_at=utc_now(),
            token_id=token_id,
            details=dict(details or {}),
            prev_hash=GENESIS_HASH if previous is None else previous.hash,
        )
        return event.sealed()

    def sealed(self) -> "WalletEvent":
        """The event with its hash computed."""
        return WalletEvent(
            self.wallet_id,
            self.sequence,
            self.type,
            self.occurred_at,
            self.token_id,
            self.details,
            self.prev_hash,
            self.computed_hash(),
        )

    def computed_hash(self) -> str:
        """SHA-256 over the canonical JSON of every field but `hash`."""
        canonical = json.dumps(
            [
                self.wallet_id,
                self.sequence,
                str(self.type),
                self.occurred_at.isoformat(),
                self.token_id,
                self.details,
                self.prev_hash,
            ],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        )
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """Where a wallet's chain first fails to verify, and why."""

    wallet_id: str
    sequence: int
    reason: str


def first_broken_link(wallet_id: str, events: list[WalletEvent]) -> BrokenLink | None:
    """Check one wallet's events, in sequence order: numbered 1, 2, 3… with no gap, each hash
    recomputing, each `prev_hash` naming the previous event's hash, the first one `created`.
    """
    previous_hash, expected = GENESIS_HASH, 1
    for event in events:
        if event.sequence != expected:
            return BrokenLink(wallet_id, expected, f"event {expected} is missing")
        if event.prev_hash != previous_hash:
            return BrokenLink(wallet_id, event.sequence, "does not chain to the previous event")
        if event.computed_hash() != event.hash:
            return BrokenLink(wallet_id, event.sequence, "its content does not match its hash")
        previous_hash, expected = event.hash, expected + 1
    if not events:
        return BrokenLink(wallet_id, 1, "the wallet has no events")
    if events[0].type != EventType.CREATED:
        return BrokenLink(wallet_id, 1, "the first event is not 'created'")
    return None
