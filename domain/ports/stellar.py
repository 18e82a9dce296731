"""Ports of Stellar: transactions read, built and signed here, and the network they are
submitted to.
"""

from dataclasses import dataclass
from typing import Protocol

from domain.accounts import Activation, SignerChange
from domain.authorization import InspectedEnvelope
from domain.errors import Field
from domain.policy import TransactionSummary
from domain.secrets import SecretSeed


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed transaction envelope and the hash that was signed (hex)."""

    envelope_xdr: str
    transaction_hash: str


@dataclass(frozen=True, slots=True)
class Submission:
    """A transaction applied by the network: its hash (hex) and the ledger that holds it."""

    transaction_hash: str
    ledger: int


class TransactionSigner(Protocol):
    """Adds a wallet's signature to a Stellar transaction without changing anything else."""

    def sign(self, envelope_xdr: str, network_passphrase: str, seed: SecretSeed) -> Signed:
        """The base64 XDR of the transaction envelope (or fee-bump envelope) with one more
        signature, by the keypair of `seed`, over the transaction's hash for that network.
        Raises InvalidInput when `envelope_xdr` is not a transaction envelope.
        """
        ...


class TransactionInspector(Protocol):
    """Reads who signed a Stellar transaction and what it needs, changing nothing."""

    def inspect(
        self, envelope_xdr: str, network_passphrase: str, keys: tuple[str, ...]
    ) -> InspectedEnvelope:
        """For the transaction of a v0, v1 or fee-bump envelope (base64 XDR), and for a fee-bump
        one also for its outer transaction: the hash for that network, the threshold category it
        needs (the highest of its operations'; LOW for a fee bump), which of `keys` have a
        signature that verifies over that hash, and how many signatures match none of them.
        Raises InvalidInput when `envelope_xdr` is not a transaction envelope
        (Field.TRANSACTION_XDR) or a key is not an ed25519 account key, 'G...' (Field.SIGNERS).
        Needs no store and no secret.
        """
        ...


class TransactionSummaries(Protocol):
    """Reads what a signing policy needs to know of a transaction. Needs no store, no secret."""

    def summary(self, envelope_xdr: str, network_passphrase: str) -> TransactionSummary:
        """The summary of a v0, v1 or fee-bump envelope (base64 XDR) for that network: sources,
        operations (names as stellar-sdk's classes, in camelCase), destinations, what leaves
        each source, and the hash a signature covers. InvalidInput (Field.TRANSACTION_XDR) for
        what is not a transaction envelope.
        """
        ...

    def operation_names(self) -> frozenset[str]:
        """Every operation name a summary can hold."""
        ...


class AccountTransactionBuilder(Protocol):
    """Builds the unsigned transactions that set Stellar accounts up, deterministically: the same
    plan gives the same envelope, byte for byte. Needs no store, no secret and no network.
    """

    def check_account_key(self, field: Field, key: str, where: str = "") -> None:
        """Raise InvalidInput(field, ...) naming `where` unless `key` is an ed25519 account key
        ('G...'; muxed, pre-auth and hash-x keys are not).
        """
        ...

    def activation(self, plan: Activation) -> str:
        """The base64 XDR of the plan's sponsored activation, unsigned. InvalidInput when a key
        in it is not an account key.
        """
        ...

    def signer_change(self, plan: SignerChange) -> str:
        """The base64 XDR of the plan's SetOptions transaction from its account, unsigned.
        InvalidInput when a key in it is not an account key.
        """
        ...


class StellarNetwork(Protocol):
    """A Stellar network, reached through a Horizon server: read sequence numbers, submit
    transactions. Every call is bounded by a deadline; none holds a store connection.
    """

    async def sequence(self, account_id: str) -> int:
        """The account's current sequence number. AccountNotOnNetwork when it does not exist;
        NetworkUnavailable when the server is unreachable, answers 5xx or not in time.
        """
        ...

    async def network_passphrase(self) -> str:
        """The passphrase of the network this server is on (read once). NetworkUnavailable as
        for `sequence`.
        """
        ...

    async def submit(self, envelope_xdr: str) -> Submission:
        """Submit a signed transaction envelope (base64 XDR) and wait for its ledger. A
        transaction that the network already holds as applied (a retry of one that landed) is
        reported as submitted, not refused. Refusals raise BadSequence, InsufficientFunds
        (underfunded, low reserve, insufficient fee balance) or NetworkRejected (anything
        else), each with the network's result codes; NetworkUnavailable when the server is
        unreachable, answers 5xx or not in time (the transaction may still land: resubmitting
        the same envelope is safe).
        """
        ...
