"""Whether a transaction's signatures authorize it, by Stellar's rules: each operation needs the
weight of one of an account's three thresholds (low, medium, high), and the signatures that
verify add up their signers' weights.
"""

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import Field, InvalidInput

MAX_WEIGHT = 255  # weights and thresholds are one byte each on the ledger


class ThresholdCategory(StrEnum):
    """Which of an account's thresholds an operation (or a transaction) needs, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(ThresholdCategory).index(self)

    @classmethod
    def highest(cls, categories: "tuple[ThresholdCategory, ...]") -> "ThresholdCategory":
        """The highest of `categories`, and at least LOW (a transaction's source must sign it,
        at the low threshold, whatever its operations are).
        """
        return max((cls.LOW, *categories), key=lambda category: category.rank)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """An account's three thresholds, each 0 to 255."""

    low: int
    medium: int
    high: int

    def __post_init__(self) -> None:
        for category in ThresholdCategory:
            if not 0 <= self.of(category) <= MAX_WEIGHT:
                raise InvalidInput(Field.THRESHOLDS, f"{category} must be 0 to {MAX_WEIGHT}")

    def of(self, category: ThresholdCategory) -> int:
        return {"low": self.low, "medium": self.medium, "high": self.high}[category]

    def needed(self, category: ThresholdCategory) -> int:
        """The weight that meets `category`: its threshold, and at least 1, since stellar-core
        wants one valid signature of some weight even where a threshold is 0.
        """
        return max(self.of(category), 1)


@dataclass(frozen=True, slots=True)
class Signer:
    """A key that may sign for an account, with its weight."""

    key: str
    weight: int


@dataclass(frozen=True, slots=True)
class Signers:
    """The signers of one account: distinct keys, weights 0 to 255, in the caller's order."""

    members: tuple[Signer, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for index, signer in enumerate(self.members):
            if not 0 <= signer.weight <= MAX_WEIGHT:
                raise InvalidInput(Field.SIGNERS, f"[{index}].weight must be 0 to {MAX_WEIGHT}")
            if signer.key in seen:
                raise InvalidInput(Field.SIGNERS, f"[{index}].key is listed twice")
            seen.add(signer.key)

    @classmethod
    def listed(cls, field: Field, members: tuple[Signer, ...]) -> "Signers":
        """The signers, refused (InvalidInput) as the request's `field`."""
        try:
            return cls(members)
        except InvalidInput as refused:
            raise InvalidInput(field, refused.reason) from None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(signer.key for signer in self.members)

    def named(self, keys: tuple[str, ...]) -> tuple[Signer, ...]:
        """The members with these keys, in the order of `keys`."""
        by_key = {signer.key: signer for signer in self.members}
        return tuple(by_key[key] for key in keys)


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    """What a transaction carries: its hash for the network (hex), the threshold it needs, the
    listed keys whose signatures verify over that hash (each once, in the signatures' order),
    and how many of its signatures are by no listed key (or repeat one).
    """

    transaction_hash: str
    required: ThresholdCategory
    signed_by: tuple[str, ...]
    unmatched_signatures: int


@dataclass(frozen=True, slots=True)
class InspectedEnvelope:
    """A transaction envelope's signed transaction, and for a fee-bump envelope the outer one
    (`transaction` is then the inner one).
    """

    transaction: SignedTransaction
    fee_bump: SignedTransaction | None


@dataclass(frozen=True, slots=True)
class Authorization:
    """Who of an account's signers signed a transaction, their weight, the threshold the
    transaction needs, and whether that weight meets it.
    """

    transaction_hash: str
    signatures: tuple[Signer, ...]
    unmatched_signatures: int
    weight: int
    required: ThresholdCategory
    met: bool

    @classmethod
    def of(
        cls, signed: SignedTransaction, signers: Signers, thresholds: Thresholds
    ) -> "Authorization":
        signatures = signers.named(signed.signed_by)
        weight = sum(signer.weight for signer in signatures)
        return cls(
            signed.transaction_hash,
            signatures,
            signed.unmatched_signatures,
            weight,
            signed.required,
            weight >= thresholds.needed(signed.required),
        )
