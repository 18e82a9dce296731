"""StellarNetwork on a Horizon server over httpx: an account's sequence number, synchronous
submission of a signed envelope, and the mapping of Horizon's answers to a Submission or to
AccountNotOnNetwork, NetworkUnavailable, BadSequence, InsufficientFunds and NetworkRejected.
"""

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx

from adapters.crypto.stellar_signer import decode_envelope, hash_for, signatures_and_transaction
from domain.errors import (
    AccountNotOnNetwork,
    BadSequence,
    InsufficientFunds,
    InvalidInput,
    NetworkRefusal,
    NetworkRejected,
    NetworkUnavailable,
)
from domain.ports import Submission

POOL = httpx.Limits(max_connections=10, max_keepalive_connections=10)
MALFORMED = "malformed-response"
CODE = re.compile(r"[a-z_]{1,64}")
"""A result code as Horizon spells them; anything else from the server is reported as
"unknown", so a hostile server cannot put its own text into our messages."""
MAX_OPERATIONS = 100  # a transaction holds at most 100 operations, so at most 100 codes
HASH = re.compile(r"[0-9a-f]{64}")
SEQUENCE = re.compile(r"[0-9]{1,19}")
MAX_PASSPHRASE = 256
FUNDS = frozenset({"op_underfunded", "op_low_reserve"})
"""Operation codes that mean an account of ours lacks balance or reserve (a full trustline or
an unauthorized one is the counterparty's state, not our funds)."""


class HorizonNetwork:
    """The Stellar network behind the Horizon server at `base_url` (its query, such as a
    provider's API key, is kept on every request and never shown). Each call, with every
    request it makes, must finish within `timeout` seconds. A `client` passed in is used and
    left open; otherwise one pooled client per event loop is made, closed by `aclose`.
    """

    def __init__(
        self, base_url: str, timeout: float, client: httpx.AsyncClient | None = None
    ) -> None:
        self._base = httpx.URL(base_url)
        self.timeout = timeout
        self._given_client = client
        self._session: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None
        self._passphrase: str | None = None

    def __repr__(self) -> str:
        return f"HorizonNetwork(host={self._base.host!r}, timeout={self.timeout})"

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and session[0] is asyncio.get_running_loop():
            await session[1].aclose()

    async def sequence(self, account_id: str) -> int:
        async with self._deadline():
            response = await self._send("GET", "accounts", account_id)
        if response.status_code == 404:
            raise AccountNotOnNetwork(account_id)
        value = _answer(response).get("sequence")
        if not isinstance(value, str) or SEQUENCE.fullmatch(value) is None:
            raise NetworkUnavailable(MALFORMED)
        if int(value) >= 2**63:
            raise NetworkUnavailable(MALFORMED)
        return int(value)

    async def submit(self, envelope_xdr: str) -> Submission:
        async with self._deadline():
            response = await self._send("POST", "transactions", form={"tx": envelope_xdr})
            if response.status_code != 400:
                return _submission(_answer(response))
            refusal = _refusal(_json(response))
            if isinstance(refusal, BadSequence):
                landed = await self._landed(envelope_xdr)
                if landed is not None:
                    return landed
            raise refusal

    async def _landed(self, envelope_xdr: str) -> Submission | None:
        """The transaction as the network applied it, if it did. A retry of a transaction that
        landed gets a bad sequence number from stellar-core; Horizon answers such a retry from
        its history, but only once it has ingested the ledger, hence this second look. Horizon's
        refusal carries no hash, so the envelope is hashed here, for Horizon's own network.
        """
        try:
            _, tagged = signatures_and_transaction(decode_envelope(envelope_xdr))
        except InvalidInput:
            return None
        transaction_hash = hash_for(tagged, await self.network_passphrase()).hex()
        response = await self._send("GET", "transactions", transaction_hash)
        if response.status_code == 404:
            return None
        body = _answer(response)
        if body.get("successful") is not True or body.get("hash") != transaction_hash:
            return None
        return _submission(body)

    async def network_passphrase(self) -> str:
        if self._passphrase is None:
            async with self._deadline():
                response = await self._send("GET")
            passphrase = _answer(response).get("network_passphrase")
            if not isinstance(passphrase, str) or not 0 < len(passphrase) <= MAX_PASSPHRASE:
                raise NetworkUnavailable(MALFORMED)
            self._passphrase = passphrase
        return self._passphrase

    async def _send(
        self, method: str, *segments: str, form: dict[str, str] | None = None
    ) -> httpx.Response:
        path = "/".join((self._base.path.rstrip("/"), *(quote(s, safe="") for s in segments)))
        url = self._base.copy_with(path=path if segments else path + "/")
        try:
            return await self._client().request(method, url, data=form)
        # `from None`: httpx's own errors may quote the URL, and with it the base URL's query.
        except httpx.TimeoutException:
            raise NetworkUnavailable("timeout") from None
        except httpx.HTTPError as error:
            raise NetworkUnavailable(type(error).__name__) from None

    def _client(self) -> httpx.AsyncClient:
        """The running event loop's client: a pool is bound to the loop that made it."""
        if self._given_client is not None:
            return self._given_client
        loop = asyncio.get_running_loop()
        if self._session is None or self._session[0] is not loop:
            client = httpx.AsyncClient(timeout=self.timeout, limits=POOL)
            self._session = (loop, client)
        return self._session[1]

    @asynccontextmanager
    async def _deadline(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.timeout):
                yield
        except TimeoutError:
            raise NetworkUnavailable("timeout") from None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:  # also UnicodeDecodeError
        return {}
    return body if isinstance(body, dict) else {}


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The body of a 200 answer; any other status is the network being unavailable (Horizon's
    504 means "submitted, not yet in a ledger": it may still land).
    """
    status = response.status_code
    if status == 200:
        body = _json(response)
        if not body:
            raise NetworkUnavailable(MALFORMED)
        return body
    raise NetworkUnavailable("timeout" if status == 504 else f"http-{status}")


def _submission(body: dict[str, Any]) -> Submission:
    transaction_hash, ledger = body.get("hash"), body.get("ledger")
    if not isinstance(transaction_hash, str) or HASH.fullmatch(transaction_hash) is None:
        raise NetworkUnavailable(MALFORMED)
    if isinstance(ledger, bool) or not isinstance(ledger, int) or not 0 < ledger < 2**32:
        raise NetworkUnavailable(MALFORMED)
    return Submission(transaction_hash, ledger)


def _refusal(problem: dict[str, Any]) -> NetworkRefusal:
    """The refusal in a 400 problem. With result codes (a transaction_failed problem) by its
    transaction code, or the inner transaction's code when a fee bump's inner transaction
    failed; without them (transaction_malformed, bad_request) a rejection as tx_malformed.
    """
    extras = problem.get("extras")
    codes = extras.get("result_codes") if isinstance(extras, dict) else None
    if not isinstance(codes, dict):
        return NetworkRejected("tx_malformed")
    transaction = _code(codes.get("transaction"))
    if transaction == "tx_fee_bump_inner_failed" and "inner_transaction" in codes:
        transaction = _code(codes["inner_transaction"])
    listed = codes.get("operations")
    operations = tuple(map(_code, listed[:MAX_OPERATIONS] if isinstance(listed, list) else ()))
    if transaction == "tx_bad_seq":
        return BadSequence(transaction, operations)
    if transaction == "tx_insufficient_balance" or FUNDS.intersection(operations):
        return InsufficientFunds(transaction, operations)
    return NetworkRejected(transaction, operations)


def _code(value: object) -> str:
    return value if isinstance(value, str) and CODE.fullmatch(value) else "unknown"
