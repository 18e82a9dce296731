"""Ports: what the use cases need from the outside world, as Protocols with their contracts.
Import them from here; each lives in the module of its kind: `store` (the repositories, the
unit of work, the store of new wallets), `crypto` (keypairs and sealed seeds), `stellar`
(transactions and the network), `webhooks` (the deliveries owed and their sender).
"""

from domain.ports.crypto import Cipher, EscrowOpener, KeyGenerator, SeedSealer
from domain.ports.stellar import (
    AccountTransactionBuilder,
    Signed,
    StellarNetwork,
    Submission,
    TransactionInspector,
    TransactionSigner,
    TransactionSummaries,
)
from domain.ports.store import (
    EscrowRepository,
    IdempotencyRepository,
    PolicyRepository,
    SpendingRepository,
    UnitOfWork,
    UserRepository,
    WalletCreations,
    WalletEventRepository,
    WalletRepository,
)
from domain.ports.webhooks import DeliveryRepository, WebhookSender

__all__ = [
    "AccountTransactionBuilder",
    "Cipher",
    "DeliveryRepository",
    "EscrowOpener",
    "EscrowRepository",
    "IdempotencyRepository",
    "KeyGenerator",
    "PolicyRepository",
    "SeedSealer",
    "Signed",
    "SpendingRepository",
    "StellarNetwork",
    "Submission",
    "TransactionInspector",
    "TransactionSigner",
    "TransactionSummaries",
    "UnitOfWork",
    "UserRepository",
    "WalletCreations",
    "WalletEventRepository",
    "WalletRepository",
    "WebhookSender",
]
