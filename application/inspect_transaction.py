"""InspectTransaction: who of an account's signers signed a transaction, and is it enough."""

from dataclasses import dataclass

from domain.authorization import Authorization, Signers, Thresholds
from domain.model import check_network
from domain.ports import TransactionInspector


@dataclass(frozen=True, slots=True)
class InspectRequest:
    """Check `transaction_xdr` (base64 envelope or fee-bump envelope) on `network_passphrase`
    against an account's `signers` and `thresholds`.
    """

    transaction_xdr: str
    network_passphrase: str
    signers: Signers
    thresholds: Thresholds


@dataclass(frozen=True, slots=True)
class InspectResult:
    """The transaction's authorization; for a fee-bump envelope that of its inner transaction,
    with the outer one's in `fee_bump` (None for other envelopes).
    """

    transaction: Authorization
    fee_bump: Authorization | None


class InspectTransaction:
    """Read which of the given signers signed a transaction, their weight, the threshold the
    transaction needs and whether that weight meets it, at both levels of a fee-bump envelope.

    InvalidInput when the network is not in `networks`, the XDR is not a transaction envelope,
    or a signer key is not an account key (weights, duplicates and thresholds are refused when
    the request's Signers and Thresholds are made). Touches no wallet and no store; records
    nothing.
    """

    def __init__(self, inspector: TransactionInspector, networks: frozenset[str]) -> None:
        self._inspector = inspector
        self._networks = networks

    def __call__(self, request: InspectRequest) -> InspectResult:
        check_network(self._networks, request.network_passphrase)
        inspected = self._inspector.inspect(
            request.transaction_xdr, request.network_passphrase, request.signers.keys
        )
        signers, thresholds = request.signers, request.thresholds
        return InspectResult(
            Authorization.of(inspected.transaction, signers, thresholds),
            None
            if inspected.fee_bump is None
            else Authorization.of(inspected.fee_bump, signers, thresholds),
        )
