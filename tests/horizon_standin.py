"""A loopback stand-in for Horizon: accounts in memory, transactions decoded with stellar-sdk and
checked as stellar-core would (sequence, time bounds, fee, signers and thresholds, then the
operations, all or nothing), Horizon's JSON shapes, and faults to inject. Supported operations:
sponsorship begin/end, CreateAccount, ChangeTrust, SetOptions (signers, master weight,
thresholds) and native Payment; any other is refused with op_not_supported.
"""

import copy
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

from stellar_sdk import (
    AccountMerge,
    AllowTrust,
    Asset,
    BeginSponsoringFutureReserves,
    BumpSequence,
    ChangeTrust,
    CreateAccount,
    EndSponsoringFutureReserves,
    FeeBumpTransactionEnvelope,
    Keypair,
    Payment,
    SetOptions,
    SetTrustLineFlags,
    Signer,
    SignerKeyType,
    TransactionEnvelope,
)
from stellar_sdk.exceptions import BadSignatureError
from stellar_sdk.operation import Operation

BASE_FEE = 100  # stroops per operation
BASE_RESERVE = 5_000_000  # 0.5 XLM
STROOPS = 10_000_000
MAX_SIGNERS = 20
FIRST_LEDGER = 100
LOW, MEDIUM, HIGH = 0, 1, 2
Fault = Literal[
    "bad_seq",
    "insufficient_balance",
    "rejected",
    "server_error",
    "timeout",
    "unreachable",
    "horizon_timeout",
]
Answer = tuple[int, dict[str, Any] | str]
Envelope = TransactionEnvelope | FeeBumpTransactionEnvelope


@dataclass
class StandInAccount:
    account_id: str
    sequence: int
    balance: int  # stroops
    master_weight: int = 1
    signers: dict[str, int] = field(default_factory=dict)
    thresholds: list[int] = field(default_factory=lambda: [0, 0, 0])  # low, medium, high
    trustlines: dict[str, int] = field(default_factory=dict)  # "CODE:ISSUER" -> limit, stroops
    num_sponsoring: int = 0
    num_sponsored: int = 0
    sponsor: str | None = None
    sponsored_entries: dict[str, str] = field(default_factory=dict)  # entry -> its sponsor

    def available(self) -> int:
        """The balance above the minimum: (2 + subentries + sponsoring - sponsored) reserves."""
        reserves = 2 + len(self.signers) + len(self.trustlines)
        return self.balance - (reserves + self.num_sponsoring - self.num_sponsored) * BASE_RESERVE

    def weights(self) -> dict[str, int]:
        return {self.account_id: self.master_weight, **self.signers}

    def as_json(self) -> dict[str, Any]:
        lines = [
            _trustline(key, limit, self.sponsored_entries.get(f"trustline:{key}"))
            for key, limit in self.trustlines.items()
        ]
        native = {"balance": _xlm(self.balance), "asset_type": "native"}
        native |= {"buying_liabilities": _xlm(0), "selling_liabilities": _xlm(0)}
        signers = [
            _signer(key, weight, self.sponsored_entries.get(f"signer:{key}"))
            for key, weight in self.signers.items()
        ]
        low, medium, high = self.thresholds
        body: dict[str, Any] = {
            "_links": {"self": {"href": f"/accounts/{self.account_id}"}},
            "id": self.account_id,
            "account_id": self.account_id,
            "paging_token": self.account_id,
            "sequence": str(self.sequence),
            "subentry_count": len(self.signers) + len(self.trustlines),
            "thresholds": {"low_threshold": low, "med_threshold": medium, "high_threshold": high},
            "flags": dict.fromkeys(
                ("auth_required", "auth_revocable", "auth_immutable", "auth_clawback_enabled"),
                False,
            ),
            "balances": [*lines, native],
            "signers": [*signers, _signer(self.account_id, self.master_weight, None)],
            "data": {},
            "num_sponsoring": self.num_sponsoring,
            "num_sponsored": self.num_sponsored,
        }
        return body | ({"sponsor": self.sponsor} if self.sponsor else {})


class Refused(Exception):
    """A refused transaction: its result codes, and whether it still went into a ledger
    (tx_failed after validation: its sequence number and fee are spent).
    """

    def __init__(
        self,
        transaction: str,
        operations: list[str] | None = None,
        *,
        applied: bool = False,
        inner: str | None = None,
    ) -> None:
        super().__init__(transaction)
        self.transaction, self.operations = transaction, operations or []
        self.applied, self.inner = applied, inner


class StandInLedger:
    """The network's state and the rules it keeps; `lock` guards all of it."""

    def __init__(self, network_passphrase: str) -> None:
        self.passphrase = network_passphrase
        self.ledger = FIRST_LEDGER
        self.accounts: dict[str, StandInAccount] = {}
        self.transactions: dict[str, tuple[dict[str, Any], Answer]] = {}
        self.lock = threading.Lock()

    def submit(self, envelope_xdr: str) -> Answer:
        try:
            envelope = _decode(envelope_xdr, self.passphrase)
        except Exception:  # noqa: BLE001 - whatever the decoder trips on is a malformed envelope
            return 400, _problem("transaction_malformed", 400, envelope_xdr=envelope_xdr)
        transaction_hash = envelope.hash_hex()
        with self.lock:
            if transaction_hash in self.transactions:  # Horizon answers from its history
                return self.transactions[transaction_hash][1]
            try:
                self._check_and_apply(envelope)
            except Refused as refused:
                answer: Answer = 400, _failed(envelope_xdr, refused)
                if refused.applied:
                    self._record(envelope, envelope_xdr, answer)
                return answer
            return self._record(envelope, envelope_xdr, None)

    def _record(self, envelope: Envelope, xdr: str, failed: Answer | None) -> Answer:
        self.ledger += 1
        transaction_hash = envelope.hash_hex()
        record = {
            "id": transaction_hash,
            "hash": transaction_hash,
            "ledger": self.ledger,
            "successful": failed is None,
            "envelope_xdr": xdr,
            "result_xdr": "",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        answer = failed or (200, record)
        self.transactions[transaction_hash] = (record, answer)
        return answer

    def _check_and_apply(self, envelope: Envelope) -> None:
        if isinstance(envelope, TransactionEnvelope):
            self._transaction(envelope, None)
            return
        outer = envelope.transaction
        inner = outer.inner_transaction_envelope
        payer = self._account(outer.fee_source.account_id)
        _check_fee(payer, outer.fee, len(inner.transaction.operations) + 1)
        signatures = _Signatures(envelope)
        if not signatures.reach(payer.weights(), payer.thresholds[LOW]):
            raise Refused("tx_bad_auth")
        if not signatures.all_used():
            raise Refused("tx_bad_auth_extra")
        try:
            self._transaction(inner, (payer.account_id, outer.fee))
        except Refused as refused:
            raise Refused(
                "tx_fee_bump_inner_failed",
                refused.operations,
                applied=refused.applied,
                inner=refused.transaction,
            ) from None

    def _transaction(self, envelope: TransactionEnvelope, payer: tuple[str, int] | None) -> None:
        transaction = envelope.transaction
        source = self._account(transaction.source.account_id)
        if transaction.sequence != source.sequence + 1:
            raise Refused("tx_bad_seq")
        _check_time(envelope)
        if not transaction.operations:
            raise Refused("tx_missing_operation")
        if payer is None:
            _check_fee(source, transaction.fee, len(transaction.operations))
        payer_id, fee = payer or (source.account_id, transaction.fee)
        signatures = _Signatures(envelope)
        if not signatures.reach(source.weights(), source.thresholds[LOW]):
            raise Refused("tx_bad_auth")
        codes = [
            self._authorized(signatures, op, source.account_id) for op in transaction.operations
        ]
        if set(codes) != {"op_success"}:
            raise Refused("tx_failed", codes)
        if not signatures.all_used():
            raise Refused("tx_bad_auth_extra")
        # In a ledger from here on: the sequence number and the fee are spent, whatever follows.
        self.accounts[payer_id].balance -= fee
        source.sequence = transaction.sequence
        effects = _Effects(copy.deepcopy(self.accounts), self.ledger + 1)
        codes = [
            effects.apply(op.source.account_id if op.source else source.account_id, op)
            for op in transaction.operations
        ]
        if set(codes) != {"op_success"}:
            raise Refused("tx_failed", codes, applied=True)
        if effects.sponsoring:
            raise Refused("tx_bad_sponsorship", applied=True)
        self.accounts = effects.accounts

    def _account(self, account_id: str) -> StandInAccount:
        account = self.accounts.get(account_id)
        if account is None:
            raise Refused("tx_no_source_account")
        return account

    def _authorized(self, signatures: "_Signatures", op: Operation, tx_source: str) -> str:
        source_id = op.source.account_id if op.source else tx_source
        account = self.accounts.get(source_id)
        if account is None:  # made earlier in this transaction: only its own key signs for it
            authorized = signatures.reach({source_id: 1}, 1)
        else:
            authorized = signatures.reach(account.weights(), account.thresholds[_category(op)])
        return "op_success" if authorized else "op_bad_auth"


class _Signatures:
    """stellar-core's signature checker: an account's signers (master key first) are matched in
    turn against the signatures (hint, then ed25519 over the transaction's hash on this network)
    until their weights reach the threshold (at least 1); a matching signature is used.
    """

    def __init__(self, envelope: Envelope) -> None:
        self.hash = envelope.hash()
        self.signatures = envelope.signatures
        self.used = [False] * len(self.signatures)

    def reach(self, weights: dict[str, int], threshold: int) -> bool:
        total = 0
        for key, weight in weights.items():
            if weight > 0 and self._signed_by(key):
                total += weight
                if total >= max(threshold, 1):
                    return True
        return False

    def all_used(self) -> bool:
        return all(self.used)

    def _signed_by(self, key: str) -> bool:
        keypair = Keypair.from_public_key(key)
        for index, signature in enumerate(self.signatures):
            if signature.signature_hint != keypair.signature_hint():
                continue
            try:
                keypair.verify(self.hash, signature.signature)
            except BadSignatureError:
                continue
            self.used[index] = True
            return True
        return False


class _Effects:
    """Operations applied, each all or nothing, to a copy of the accounts."""

    def __init__(self, accounts: dict[str, StandInAccount], ledger: int) -> None:
        self.accounts = accounts
        self.ledger = ledger
        self.sponsoring: dict[str, str] = {}  # sponsored account -> its sponsor

    def apply(self, source_id: str, op: Operation) -> str:  # noqa: PLR0911 - one per operation
        source = self.accounts.get(source_id)
        if source is None:
            return "op_no_source_account"
        match op:
            case BeginSponsoringFutureReserves():
                return self._begin(source_id, op.sponsored_id)
            case EndSponsoringFutureReserves():
                return "op_success" if self.sponsoring.pop(source_id, None) else "op_not_sponsored"
            case CreateAccount():
                return self._create(source, op)
            case ChangeTrust():
                return self._change_trust(source, op)
            case SetOptions():
                return self._set_options(source, op)
            case Payment():
                return self._pay(source, op)
        return "op_not_supported"

    def _begin(self, sponsor_id: str, sponsored_id: str) -> str:
        if sponsored_id == sponsor_id:
            return "op_malformed"
        if sponsored_id in self.sponsoring:
            return "op_already_sponsored"
        if sponsor_id in self.sponsoring or sponsored_id in self.sponsoring.values():
            return "op_recursive"
        self.sponsoring[sponsored_id] = sponsor_id
        return "op_success"

    def _create(self, source: StandInAccount, op: CreateAccount) -> str:
        if op.destination in self.accounts:
            return "op_already_exists"
        amount = Operation.to_xdr_amount(op.starting_balance)
        sponsor_id = self.sponsoring.get(op.destination)
        if sponsor_id is None and amount < 2 * BASE_RESERVE:
            return "op_low_reserve"
        if source.available() < amount:
            return "op_underfunded"
        if sponsor_id is not None:
            sponsor = self.accounts[sponsor_id]
            spare = sponsor.available() - (amount if sponsor is source else 0)
            if spare < 2 * BASE_RESERVE:
                return "op_low_reserve"
            sponsor.num_sponsoring += 2
        source.balance -= amount
        self.accounts[op.destination] = StandInAccount(
            op.destination,
            sequence=self.ledger << 32,
            balance=amount,
            num_sponsored=2 if sponsor_id else 0,
            sponsor=sponsor_id,
        )
        return "op_success"

    def _change_trust(self, source: StandInAccount, op: ChangeTrust) -> str:
        asset = op.asset
        if not isinstance(asset, Asset):
            return "op_not_supported"  # liquidity pool shares
        if asset.is_native() or asset.issuer == source.account_id:
            return "op_malformed"
        key, limit = f"{asset.code}:{asset.issuer}", Operation.to_xdr_amount(op.limit)
        if key in source.trustlines and limit == 0:
            del source.trustlines[key]
            self._release(source, f"trustline:{key}")
        elif key in source.trustlines:
            source.trustlines[key] = limit
        elif limit == 0:
            return "op_invalid_limit"
        elif not self._reserve(source, f"trustline:{key}"):
            return "op_low_reserve"
        else:
            source.trustlines[key] = limit
        return "op_success"

    def _set_options(self, source: StandInAccount, op: SetOptions) -> str:
        if op.set_flags or op.clear_flags or op.inflation_dest or op.home_domain is not None:
            return "op_not_supported"
        weights = (op.master_weight, op.low_threshold, op.med_threshold, op.high_threshold)
        if any(weight is not None and not 0 <= weight <= 255 for weight in weights):
            return "op_threshold_out_of_range"
        if op.signer is not None and (code := self._set_signer(source, op.signer)):
            return code
        if op.master_weight is not None:
            source.master_weight = op.master_weight
        for index, threshold in enumerate(weights[1:]):
            if threshold is not None:
                source.thresholds[index] = threshold
        return "op_success"

    def _set_signer(self, source: StandInAccount, signer: Signer) -> str | None:
        if signer.signer_key.signer_key_type != SignerKeyType.SIGNER_KEY_TYPE_ED25519:
            return "op_not_supported"
        key = signer.signer_key.encoded_signer_key
        if key == source.account_id:
            return "op_bad_signer"
        if signer.weight == 0:
            if source.signers.pop(key, None) is not None:
                self._release(source, f"signer:{key}")
        elif key in source.signers:
            source.signers[key] = signer.weight
        elif len(source.signers) >= MAX_SIGNERS:
            return "op_too_many_signers"
        elif not self._reserve(source, f"signer:{key}"):
            return "op_low_reserve"
        else:
            source.signers[key] = signer.weight
        return None

    def _pay(self, source: StandInAccount, op: Payment) -> str:
        if not op.asset.is_native():
            return "op_not_supported"
        destination = self.accounts.get(op.destination.account_id)
        if destination is None:
            return "op_no_destination"
        amount = Operation.to_xdr_amount(op.amount)
        if source.available() < amount:
            return "op_underfunded"
        source.balance -= amount
        destination.balance += amount
        return "op_success"

    def _reserve(self, owner: StandInAccount, entry: str) -> bool:
        """Reserve one base reserve for a new subentry: the owner's, or its sponsor's."""
        sponsor_id = self.sponsoring.get(owner.account_id)
        payer = owner if sponsor_id is None else self.accounts[sponsor_id]
        if payer.available() < BASE_RESERVE:
            return False
        if sponsor_id is not None:
            payer.num_sponsoring += 1
            owner.num_sponsored += 1
            owner.sponsored_entries[entry] = sponsor_id
        return True

    def _release(self, owner: StandInAccount, entry: str) -> None:
        sponsor_id = owner.sponsored_entries.pop(entry, None)
        if sponsor_id is not None:
            owner.num_sponsored -= 1
            if sponsor := self.accounts.get(sponsor_id):
                sponsor.num_sponsoring -= 1


class HorizonStandIn:
    """A Horizon stand-in on 127.0.0.1 for the network `network_passphrase`, served from a
    daemon thread while the context is open: `url`, `accounts`, `submitted` (every envelope
    received), `fund` to make accounts and `fail_next` to make the next submission fail. An
    injected failure changes no account, except `timeout` (the answer comes late, then the
    transaction is applied as usual) and `horizon_timeout` (applied, answered with Horizon's
    504).
    """

    def __init__(self, network_passphrase: str) -> None:
        self.state = StandInLedger(network_passphrase)
        self.submitted: list[str] = []
        self._faults: deque[tuple[Fault, float]] = deque()
        self._closing = threading.Event()
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def accounts(self) -> dict[str, StandInAccount]:
        return self.state.accounts

    def fund(
        self, public_key: str, balance_xlm: str = "100", sequence: int | None = None
    ) -> StandInAccount:
        balance = Operation.to_xdr_amount(balance_xlm)
        with self.state.lock:
            first = FIRST_LEDGER << 32 if sequence is None else sequence
            account = self.state.accounts[public_key] = StandInAccount(public_key, first, balance)
        return account

    def fail_next(self, kind: Fault, seconds: float = 2.0) -> None:
        """Make one more of the next submissions fail: `seconds` is how late `timeout` answers."""
        self._faults.append((kind, seconds))

    def get(self, path: str) -> Answer:
        collection, _, key = path.strip("/").partition("/")
        with self.state.lock:
            if not collection:
                return 200, self._root()
            if collection == "accounts" and key in self.state.accounts:
                return 200, self.state.accounts[key].as_json()
            if collection == "transactions" and key in self.state.transactions:
                return 200, self.state.transactions[key][0]
        return 404, _problem("not_found", 404)

    def post(self, path: str, form: dict[str, list[str]]) -> Answer | None:  # noqa: PLR0911
        """The answer to a POST, or None to close the connection without one."""
        if path.strip("/") != "transactions":
            return 404, _problem("not_found", 404)
        if len(form.get("tx", [])) != 1:
            return 400, _problem("bad_request", 400, invalid_field="tx")
        envelope_xdr = form["tx"][0]
        self.submitted.append(envelope_xdr)
        kind, seconds = self._faults.popleft() if self._faults else (None, 0.0)
        match kind:
            case "unreachable":
                return None
            case "server_error":
                return 500, "stand-in internal error: SERVER-TEXT-SHOWS-NOWHERE"
            case "bad_seq" | "insufficient_balance":
                return 400, _failed(envelope_xdr, Refused(f"tx_{kind}"))
            case "rejected":
                return 400, _failed(envelope_xdr, Refused("tx_failed", ["op_no_trust"]))
            case "timeout":
                self._closing.wait(seconds)
        answer = self.state.submit(envelope_xdr)
        return (504, _problem("timeout", 504)) if kind == "horizon_timeout" else answer

    def _root(self) -> dict[str, Any]:
        return {
            "horizon_version": "stand-in",
            "network_passphrase": self.state.passphrase,
            "history_latest_ledger": self.state.ledger,
            "core_latest_ledger": self.state.ledger,
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: HorizonStandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.standin = standin


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._reply(self.server.standin.get(urlsplit(self.path).path))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        answer = self.server.standin.post(urlsplit(self.path).path, form)
        if answer is None:
            self.close_connection = True
            return
        self._reply(answer)

    def _reply(self, answer: Answer) -> None:
        status, body = answer
        text = body if isinstance(body, str) else json.dumps(body)
        kind = "text/plain" if isinstance(body, str) else "application/json"
        data = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # a client that stopped waiting (the `timeout` fault) closed it
            self.close_connection = True

    def log_message(self, *args: object) -> None:
        """Quiet: the tests assert on answers, not on access logs."""


def _decode(envelope_xdr: str, passphrase: str) -> Envelope:
    if FeeBumpTransactionEnvelope.is_fee_bump_transaction_envelope(envelope_xdr):
        return FeeBumpTransactionEnvelope.from_xdr(envelope_xdr, passphrase)
    return TransactionEnvelope.from_xdr(envelope_xdr, passphrase)


def _check_time(envelope: TransactionEnvelope) -> None:
    preconditions = envelope.transaction.preconditions
    bounds = preconditions.time_bounds if preconditions else None
    now = int(time.time())
    if bounds is not None and now < bounds.min_time:
        raise Refused("tx_too_early")
    if bounds is not None and 0 < bounds.max_time < now:
        raise Refused("tx_too_late")


def _check_fee(payer: StandInAccount, fee: int, operations: int) -> None:
    if fee < BASE_FEE * operations:
        raise Refused("tx_insufficient_fee")
    if payer.available() < fee:  # stellar-core: the fee must be above the payer's reserve
        raise Refused("tx_insufficient_balance")


def _category(op: Operation) -> int:
    """The threshold an operation needs of its source account (stellar-core's table)."""
    if isinstance(op, AccountMerge):
        return HIGH
    if isinstance(op, SetOptions):
        changes = (op.master_weight, op.low_threshold, op.med_threshold, op.high_threshold)
        return HIGH if op.signer is not None or any(c is not None for c in changes) else MEDIUM
    if isinstance(op, BumpSequence | AllowTrust | SetTrustLineFlags):
        return LOW
    return MEDIUM


def _problem(kind: str, status: int, **extras: Any) -> dict[str, Any]:
    title = kind.replace("_", " ").title()
    body: dict[str, Any] = {"type": f"https://stellar.org/horizon-errors/{kind}", "title": title}
    body |= {"status": status, "detail": f"{title} (Horizon stand-in)."}
    return body | ({"extras": extras} if extras else {})


def _failed(envelope_xdr: str, refused: Refused) -> dict[str, Any]:
    """Horizon's transaction_failed problem. Like Horizon's, it carries no transaction hash."""
    codes: dict[str, Any] = {"transaction": refused.transaction}
    codes |= {"inner_transaction": refused.inner} if refused.inner else {}
    codes |= {"operations": refused.operations} if refused.operations else {}
    return _problem(
        "transaction_failed", 400, envelope_xdr=envelope_xdr, result_xdr="", result_codes=codes
    )


def _xlm(stroops: int) -> str:
    return f"{stroops // STROOPS}.{stroops % STROOPS:07d}"


def _trustline(key: str, limit: int, sponsor: str | None) -> dict[str, Any]:
    code, issuer = key.split(":")
    kind = "credit_alphanum4" if len(code) <= 4 else "credit_alphanum12"
    line: dict[str, Any] = {
        "balance": _xlm(0),
        "limit": _xlm(limit),
        "asset_type": kind,
        "asset_code": code,
    }
    line |= {"asset_issuer": issuer, "buying_liabilities": _xlm(0), "selling_liabilities": _xlm(0)}
    line |= {"is_authorized": True, "is_authorized_to_maintain_liabilities": True}
    return line | ({"sponsor": sponsor} if sponsor else {})


def _signer(key: str, weight: int, sponsor: str | None) -> dict[str, Any]:
    signer: dict[str, Any] = {"weight": weight, "key": key, "type": "ed25519_public_key"}
    return signer | ({"sponsor": sponsor} if sponsor else {})
