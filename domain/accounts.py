"""Setting up Stellar accounts, as plans a transaction is built from: a sponsored activation with
its trustlines, and a change of signers that must not lock the account out. The rules here are
Stellar's limits and the service's own; whether a text is a valid Stellar key is the builder's
to say (it needs the key encoding).
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.authorization import MAX_WEIGHT, Signer, Signers, ThresholdCategory, Thresholds
from domain.errors import Field, InvalidInput, Lockout

MAX_INT64 = 2**63 - 1
MAX_UINT32 = 2**32 - 1
MIN_BASE_FEE = 100
"""Stroops per operation: the network's minimum."""
DEFAULT_BASE_FEE = MIN_BASE_FEE
MAX_TRUSTLINES = 10
MAX_OTHER_SIGNERS = 20
"""An account has its master key and at most 20 other signers."""
MAX_OPERATIONS = 100
_ASSET_CODE = re.compile(r"[A-Za-z0-9]{1,12}")
_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]{1,7})?")
_STROOPS_PER_UNIT = 10**7


def sequence_number(field: Field, text: str) -> int:
    """A sequence number as Horizon writes it (decimal digits), whose next one still fits."""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_INT64)):
        raise InvalidInput(field, "must be a decimal sequence number, e.g. '4294967296'")
    return checked_sequence(field, int(text))


def checked_sequence(field: Field, value: int) -> int:
    """A source account's current sequence number: 0 or more, and its next one (the
    transaction's) still a 64-bit signed integer.
    """
    if not 0 <= value < MAX_INT64:
        raise InvalidInput(field, f"must be 0 to {MAX_INT64 - 1}")
    return value


def amount(field: Field, text: str) -> str:
    """A positive amount as Stellar writes it: at most 7 decimal places, at most
    922337203685.4775807.
    """
    if not _AMOUNT.fullmatch(text):
        raise InvalidInput(field, "must be a decimal amount with at most 7 decimal places")
    try:
        stroops = Decimal(text) * _STROOPS_PER_UNIT
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise InvalidInput(field, "must be a decimal amount") from None
    if not 0 < stroops <= MAX_INT64:
        raise InvalidInput(field, "must be above 0 and at most 922337203685.4775807")
    return text


@dataclass(frozen=True, slots=True)
class Terms:
    """What every built transaction carries besides its operations: the network it is signed for,
    the fee bid per operation (stroops), and an upper time bound (unix seconds; None: none).
    """

    network_passphrase: str
    base_fee: int = DEFAULT_BASE_FEE
    valid_until: int | None = None

    def __post_init__(self) -> None:
        if not MIN_BASE_FEE <= self.base_fee <= MAX_UINT32:
            raise InvalidInput(Field.BASE_FEE, f"must be {MIN_BASE_FEE} to {MAX_UINT32} stroops")
        if self.valid_until is not None and not 0 < self.valid_until <= 2**64 - 1:
            raise InvalidInput(Field.VALID_UNTIL, "must be a positive unix time in seconds")

    def check_fee(self, operations: int) -> None:
        """The whole fee (base fee times operations) must fit the transaction's 32-bit field."""
        if self.base_fee * operations > MAX_UINT32:
            raise InvalidInput(
                Field.BASE_FEE, f"times the {operations} operations must be at most {MAX_UINT32}"
            )


@dataclass(frozen=True, slots=True)
class Trustline:
    """An asset the account will trust: its code, its issuer's account key and an optional
    limit (None: the largest).
    """

    code: str
    issuer: str
    limit: str | None = None


def trustlines(lines: tuple[Trustline, ...]) -> tuple[Trustline, ...]:
    """The trustlines of an activation: at most ten, each asset once, codes of 1 to 12 letters or
    digits, limits valid amounts.
    """
    if len(lines) > MAX_TRUSTLINES:
        raise InvalidInput(Field.TRUSTLINES, f"at most {MAX_TRUSTLINES} trustlines")
    seen: set[tuple[str, str]] = set()
    for index, line in enumerate(lines):
        if not _ASSET_CODE.fullmatch(line.code):
            raise InvalidInput(
                Field.TRUSTLINES, f"[{index}].code must be 1 to 12 letters or digits"
            )
        if line.limit is not None:
            amount(Field.TRUSTLINES, line.limit)
        if (line.code, line.issuer) in seen:
            raise InvalidInput(Field.TRUSTLINES, f"[{index}] is listed twice")
        seen.add((line.code, line.issuer))
    return lines


@dataclass(frozen=True, slots=True)
class Activation:
    """A sponsored activation: from the sponsor's account (sequence `sponsor_sequence` + 1),
    BeginSponsoringFutureReserves for the account, CreateAccount with a starting balance of 0,
    one ChangeTrust per trustline from the account, EndSponsoringFutureReserves from the account.
    """

    account: str
    sponsor: str
    sponsor_sequence: int
    trustlines: tuple[Trustline, ...]
    terms: Terms

    def __post_init__(self) -> None:
        if self.sponsor == self.account:
            raise InvalidInput(Field.SPONSOR, "is the wallet itself")
        checked_sequence(Field.SPONSOR_SEQUENCE, self.sponsor_sequence)
        self.terms.check_fee(self.operation_count)

    @property
    def operation_count(self) -> int:
        return 3 + len(self.trustlines)


@dataclass(frozen=True, slots=True)
class SetOptionsStep:
    """One SetOptions operation: a signer to set (weight 0 removes it), or the master key's
    weight and the thresholds.
    """

    signer: Signer | None = None
    master_weight: int | None = None
    thresholds: Thresholds | None = None


@dataclass(frozen=True, slots=True)
class SignerChange:
    """A change of an account's signers and thresholds, from what the caller says it has now.

    `current` lists the account's signers; it may list the account's own key, whose weight is
    then the master key's (else 1). `current_thresholds` default to a new account's (all 0). The
    change: remove listed signers, add or re-weigh others (weights 1 to 255), set the master
    key's weight and the thresholds. Refused (InvalidInput): a key named twice, removing a key
    that is not a current signer, naming the account's own key in `add` or `remove`, more than
    20 signers besides the master key, a change that changes nothing. Refused with Lockout,
    unless `allow_lockout`: a result whose signers' total weight cannot reach the high threshold
    (at least 1).
    """

    account: str
    sequence: int
    current: Signers
    add: Signers
    remove: tuple[str, ...]
    master_weight: int | None
    thresholds: Thresholds | None
    current_thresholds: Thresholds
    allow_lockout: bool
    terms: Terms

    def __post_init__(self) -> None:
        checked_sequence(Field.SEQUENCE, self.sequence)
        self._check_names()
        if not self.steps:
            raise InvalidInput(
                Field.ADD,
                "nothing to change: no signer to add or remove, no master weight, no thresholds",
            )
        if self.master_weight is not None and not 0 <= self.master_weight <= MAX_WEIGHT:
            raise InvalidInput(Field.MASTER_WEIGHT, f"must be 0 to {MAX_WEIGHT}")
        others = self.resulting_signers()
        if len(others) > MAX_OTHER_SIGNERS:
            raise InvalidInput(
                Field.ADD,
                f"the account would have {len(others)} signers besides its master "
                f"key; at most {MAX_OTHER_SIGNERS}",
            )
        if len(self.steps) > MAX_OPERATIONS:
            raise InvalidInput(Field.REMOVE, f"more than {MAX_OPERATIONS} operations")
        self.terms.check_fee(len(self.steps))
        weight = self.resulting_master_weight() + sum(others.values())
        needed = self.resulting_thresholds().needed(ThresholdCategory.HIGH)
        if weight < needed and not self.allow_lockout:
            raise Lockout(weight, needed)

    def _check_names(self) -> None:
        current = {signer.key for signer in self.current.members}
        for index, signer in enumerate(self.add.members):
            if signer.key == self.account:
                raise InvalidInput(
                    Field.ADD,
                    f"[{index}].key is the account's own key: change the master weight instead",
                )
            if signer.weight == 0:
                raise InvalidInput(
                    Field.ADD,
                    f"[{index}].weight must be 1 to {MAX_WEIGHT} "
                    "(remove a signer by listing it among those to remove)",
                )
        removing: set[str] = set()
        for index, key in enumerate(self.remove):
            if key == self.account:
                raise InvalidInput(
                    Field.REMOVE,
                    f"[{index}] is the account's own key: set the master weight to 0 instead",
                )
            if key in removing:
                raise InvalidInput(Field.REMOVE, f"[{index}] is listed twice")
            if key not in current:
                raise InvalidInput(Field.REMOVE, f"[{index}] is not one of the current signers")
            if key in self.add.keys:
                raise InvalidInput(Field.REMOVE, f"[{index}] is also among the signers to add")
            removing.add(key)

    @property
    def steps(self) -> tuple[SetOptionsStep, ...]:
        """The SetOptions operations, in order: master weight and thresholds (when either is
        set), then one per removed signer, then one per added or re-weighed signer.
        """
        steps: list[SetOptionsStep] = []
        if self.master_weight is not None or self.thresholds is not None:
            steps.append(
                SetOptionsStep(master_weight=self.master_weight, thresholds=self.thresholds)
            )
        steps.extend(SetOptionsStep(Signer(key, 0)) for key in self.remove)
        steps.extend(SetOptionsStep(signer) for signer in self.add.members)
        return tuple(steps)

    def resulting_signers(self) -> dict[str, int]:
        """The account's signers besides its master key after the change, with their weights."""
        others = {s.key: s.weight for s in self.current.members if s.key != self.account}
        for key in self.remove:
            others.pop(key, None)
        others.update({signer.key: signer.weight for signer in self.add.members})
        return others

    def resulting_master_weight(self) -> int:
        if self.master_weight is not None:
            return self.master_weight
        own = [s.weight for s in self.current.members if s.key == self.account]
        return own[0] if own else 1

    def resulting_thresholds(self) -> Thresholds:
        return self.current_thresholds if self.thresholds is None else self.thresholds
