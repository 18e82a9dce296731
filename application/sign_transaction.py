"""SignTransaction: the wallet signs a Stellar transaction; its seed never leaves the service."""

from dataclasses import dataclass

from application.signing_policy import Screening, SigningGate
from application.wallet_access import holding_opened, record
from domain.audit import EventType
from domain.model import Wallet, check_network
from domain.ports import Cipher, Signed, TransactionSigner, UnitOfWork
from domain.secrets import EncryptionKey, SecretSeed


@dataclass(frozen=True, slots=True, repr=False)
class SignRequest:
    """Sign `transaction_xdr` (base64 envelope or fee-bump envelope) for `network_passphrase`."""

    user_id: str
    encryption_key: EncryptionKey
    transaction_xdr: str
    network_passphrase: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class SignResult:
    """The envelope with the wallet's signature added, the hash it signed, and who signed."""

    signed_transaction_xdr: str
    transaction_hash: str
    public_key: str


class SignTransaction:
    """Add the user's wallet signature to a transaction for an allowed network.

    InvalidInput when the network is not in `networks` or the XDR is not a transaction envelope;
    WalletNotFound; WalletSuspended; PolicyViolation when the wallet's signing policy refuses the
    transaction (judged before the seed is opened, and again with the day's spending in the
    transaction that records the signature; a `sign_refused` event is recorded);
    WalletKeyMismatch when the key does not open the wallet; EnvelopeTampered. On success a
    `signed` event (transaction hash, network) is recorded in the same transaction, with what
    left the wallet, so a signature that was handed out is always in the audit trail. The key is
    prepared before any unit of work opens (KeyDerivationBusy), and the wallet is opened and the
    transaction signed between units of work (`holding_opened`): no connection waits for a
    derivation or a key-management backend (KmsUnavailable, KmsRefused, KmsKeyMismatch).
    """

    def __init__(
        self,
        uow: UnitOfWork,
        cipher: Cipher,
        signer: TransactionSigner,
        networks: frozenset[str],
        gate: SigningGate,
    ) -> None:
        self._uow = uow
        self._cipher = cipher
        self._signer = signer
        self._networks = networks
        self._gate = gate

    async def __call__(self, request: SignRequest) -> SignResult:
        check_network(self._networks, request.network_passphrase)
        screening = self._gate.screening(request.transaction_xdr, request.network_passphrase)
        with await self._cipher.prepare(request.encryption_key) as key:
            async with self._gate.recording_refusals(self._uow, screening, request.actor):
                return await self._sign(request, key, screening)

    async def _sign(
        self, request: SignRequest, key: EncryptionKey, screening: Screening
    ) -> SignResult:
        async def sign(_: Wallet, seed: SecretSeed) -> Signed:
            return self._signer.sign(request.transaction_xdr, request.network_passphrase, seed)

        uow = self._uow
        screen = self._gate.screen(screening)
        async with holding_opened(uow, self._cipher, request.user_id, key, sign, screen) as (
            wallet,
            signed,
        ):
            details = {
                "transaction_hash": signed.transaction_hash,
                "network_passphrase": request.network_passphrase,
            }
            await record(uow, wallet, EventType.SIGNED, request.actor, details)
            await uow.commit()
        return SignResult(signed.envelope_xdr, signed.transaction_hash, wallet.public_key)
