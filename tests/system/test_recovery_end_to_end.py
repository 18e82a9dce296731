"""Issue 16 end to end, as operators would run it: `recovery keygen` makes the key and its
shares; a real `serve` process (SQLite, WALLET_RECOVERY_PUBLIC_KEY set) makes wallets over HTTP
and hands out their escrow records, kept in a JSON-lines file. Then the caller key is "lost":
`recovery restore --all` re-seals every wallet under a new key from K shares given in any
order; then the wallet rows are lost too: `recovery import` makes them again from the file.
After each, the new key signs (the signature verifies over the testnet hash), the old one gets
403 and `audit verify` passes. Too few shares, mixed shares or another ceremony's: exit 1 and
not a row changed. No share, private key or seed shows in any output or log line, but the
shares `keygen` prints.

One estate (ceremonies, wallets, escrow file, database) is made once; each test works on a copy
of its database.
"""

import base64
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from shamir_mnemonic import combine_mnemonics
from stellar_sdk import Keypair, TransactionEnvelope

from adapters.crypto.recovery import RebuiltRecoveryKey
from harness.servers import ROOT, ServerProcess
from tests.support import AUTH, KEY, TOKEN, payment_from

SHARES, THRESHOLD = 5, 3
NEW_KEY = "the caller's new key, 16+ chars"
IMPORT_KEY = "the key of the import, 16+ chars"
USERS = ("ada", "bob", "cy")
FAST_KDF = {"WALLET_KDF_MEMORY_KIB": "64", "WALLET_KDF_ITERATIONS": "1"}
TESTNET = "Test SDF Network ; September 2015"
CLI_TIMEOUT_SECONDS = 120
NOT_REBUILT = "do not rebuild a recovery key"


@dataclass(frozen=True)
class Ceremony:
    """What `recovery keygen --json` printed."""

    public_key: str
    key_id: str
    shares: tuple[str, ...]

    def some_shares(self, count: int, rng: random.Random) -> list[str]:
        """`count` of the shares, chosen at random and in a shuffled order."""
        return rng.sample(self.shares, count)


@dataclass
class Transcript:
    """Everything commands printed (but keygen's shares) and every server log, for the final
    check that no secret was shown."""

    outputs: list[str] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join([*self.outputs, *(log.read_text() for log in self.logs)])


def _clean_environment() -> dict[str, str]:
    """This process's environment without any configuration of the service."""
    prefixes = ("WALLET_", "BAO_", "VAULT_", "DATABASE_URL")
    return {name: value for name, value in os.environ.items() if not name.startswith(prefixes)}


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        cwd=ROOT,
        env={**_clean_environment(), **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )


def _keygen() -> Ceremony:
    done = _run(
        {}, "recovery", "keygen", "--shares", str(SHARES), "--threshold", str(THRESHOLD), "--json"
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert len(body["shares"]) == SHARES
    return Ceremony(body["publicKey"], body["keyId"], tuple(body["shares"]))


@dataclass
class Site:
    """One database file and the service's configuration for it."""

    path: Path
    ceremony: Ceremony
    transcript: Transcript

    @property
    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": f"sqlite:///{self.path}",
            "WALLET_RECOVERY_PUBLIC_KEY": self.ceremony.public_key,
            **FAST_KDF,
        }

    def cli(self, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        """`wallet-orchestrator <args>` on this database, its output kept for the final check."""
        done = _run({**self.env, **env}, *args, stdin=stdin)
        self.transcript.outputs += [done.stdout, done.stderr]
        return done

    def recovery(
        self, action: str, shares: list[str], new_key: str, *args: str
    ) -> subprocess.CompletedProcess[str]:
        """`recovery <action>` with the shares on standard input, one per line."""
        stdin = "".join(f"{share}\n" for share in shares)
        return self.cli("recovery", action, *args, stdin=stdin, WALLET_NEW_ENCRYPTION_KEY=new_key)

    @contextmanager
    def serving(self, name: str) -> Iterator[httpx.Client]:
        """A `serve` process on this database; an HTTP client with the token, on its address."""
        log = self.path.with_name(f"{name}.log")
        self.transcript.logs.append(log)
        server = ServerProcess(
            {**_clean_environment(), **self.env, "WALLET_API_TOKENS": TOKEN}, log
        ).start()
        try:
            with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as client:
                yield client
        finally:
            server.stop()

    def rows(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table, in order: equal snapshots mean nothing was written."""
        with _connect(self.path) as connection:
            tables = [
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
            return {
                table: sorted(connection.execute(f'SELECT * FROM "{table}"'), key=repr)  # noqa: S608
                for table in tables
            }

    def delete_wallet_rows(self) -> None:
        """`DELETE FROM wallets`, as a restore to an earlier point loses them (their events and
        escrows go too, ON DELETE CASCADE)."""
        with _connect(self.path) as connection:
            connection.execute("DELETE FROM wallets")
            connection.commit()
        rows = self.rows()
        assert rows["wallets"] == rows["wallet_events"] == rows["wallet_escrows"] == []
        assert len(rows["users"]) == len(USERS)


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        yield connection
    finally:
        connection.close()


@dataclass(frozen=True)
class Estate:
    """Wallets made over HTTP with escrow, their escrow records in a file, the database as it
    was left, the ceremony configured and another one; the seeds, opened in-test, to look for."""

    database: Path
    escrow_file: Path
    ceremony: Ceremony
    other: Ceremony
    records: dict[str, dict[str, str]]
    seeds: tuple[bytes, ...]
    transcript: Transcript

    def site(self, directory: Path) -> Site:
        """A copy of the estate's database in `directory`, with a transcript of its own."""
        path = directory / "wallets.db"
        with _connect(self.database) as source, _connect(path) as copy:
            source.backup(copy)
        return Site(path, self.ceremony, Transcript())


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Estate:
    directory = tmp_path_factory.mktemp("estate")
    ceremony, other = _keygen(), _keygen()
    site = Site(directory / "wallets.db", ceremony, Transcript())
    records: dict[str, dict[str, str]] = {}
    with site.serving("making") as client:
        for user_id in USERS:
            body = {"email": f"{user_id}@example.com", "id": user_id}
            assert client.post("/users", json=body).status_code == 201
            body = {"userId": user_id, "encryptionKey": KEY}
            made = client.post("/wallets/create-user-wallet", json=body)
            assert made.status_code == 201, made.text
            escrow = client.get(f"/wallets/user/{user_id}/escrow")
            assert escrow.status_code == 200, escrow.text
            records[user_id] = escrow.json()
            assert records[user_id] == {
                "walletId": made.json()["walletId"],
                "userId": user_id,
                "publicKey": made.json()["publicKey"],
                "recoveryKeyId": ceremony.key_id,
                "sealedSeed": records[user_id]["sealedSeed"],
            }
    escrow_file = directory / "escrows.jsonl"
    escrow_file.write_text("".join(json.dumps(record) + "\n" for record in records.values()))
    opener = RebuiltRecoveryKey(list(ceremony.shares[:THRESHOLD]))
    seeds = []
    for record in records.values():
        with opener.open(record["sealedSeed"]) as seed:
            seeds.append(bytes(seed.reveal()))
        assert Keypair.from_raw_ed25519_seed(seeds[-1]).public_key == record["publicKey"]
    return Estate(site.path, escrow_file, ceremony, other, records, tuple(seeds), site.transcript)


# -- checks ---------------------------------------------------------------------------------------


def _sign(client: httpx.Client, user_id: str, key: str, public_key: str) -> httpx.Response:
    """A payment from the wallet (its `public_key`): a wallet signs only what is its own."""
    xdr = payment_from(public_key, network=TESTNET)
    body = {"encryptionKey": key, "transactionXdr": xdr, "networkPassphrase": TESTNET}
    return client.post(f"/wallets/user/{user_id}/sign", json=body)


def _assert_only_key(client: httpx.Client, estate: Estate, key: str, *refused: str) -> None:
    """Each wallet is the one of its escrow record (same id and public key); `key` signs for
    it, with a signature that verifies over the testnet hash; each of `refused` gets 403."""
    for user_id, record in estate.records.items():
        wallet = client.get(f"/wallets/user/{user_id}").json()
        assert (wallet["walletId"], wallet["publicKey"]) == (
            record["walletId"],
            record["publicKey"],
        )
        signed = _sign(client, user_id, key, record["publicKey"])
        assert signed.status_code == 200, signed.text
        envelope = TransactionEnvelope.from_xdr(signed.json()["signedTransactionXdr"], TESTNET)
        assert signed.json()["transactionHash"] == envelope.hash_hex()
        Keypair.from_public_key(record["publicKey"]).verify(
            envelope.hash(), envelope.signatures[-1].signature
        )
        for other in refused:
            wrong = _sign(client, user_id, other, record["publicKey"])
            assert wrong.status_code == 403, wrong.text
            assert wrong.json()["type"].endswith("/wrong-encryption-key")


def _event_types(client: httpx.Client, user_id: str) -> list[str]:
    page = client.get(f"/wallets/user/{user_id}/events", params={"limit": 100}).json()
    return [event["type"] for event in page["events"]]


def _assert_audit_verifies(site: Site) -> None:
    done = site.cli("audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(USERS)} wallets checked, 0 broken" in done.stderr


def _secrets(estate: Estate) -> list[str]:
    """What must show nowhere: shares (whole, and any three words in a row), each recovery
    key's private half, each wallet's seed (hex, base64, and its Stellar secret 'S…'), and
    the caller keys."""
    found = [KEY, NEW_KEY, IMPORT_KEY]
    for ceremony in (estate.ceremony, estate.other):
        for share in ceremony.shares:
            words = share.split()
            found += [share, *(" ".join(words[i : i + 3]) for i in range(len(words) - 2))]
        private = bytes(combine_mnemonics(list(ceremony.shares[:THRESHOLD])))
        found += [private.hex(), base64.b64encode(private).decode()]
    for seed in estate.seeds:
        secret = Keypair.from_raw_ed25519_seed(seed).secret
        assert secret.startswith("S")
        found += [secret, seed.hex(), base64.b64encode(seed).decode()]
    return found


def _assert_nothing_secret_shown(estate: Estate, site: Site) -> None:
    shown = estate.transcript.text() + site.transcript.text()
    assert shown  # there was output to look at
    for secret in _secrets(estate):
        assert secret not in shown


# -- tests ----------------------------------------------------------------------------------------


def test_restore_then_import_from_escrow_end_to_end(estate: Estate, tmp_path: Path) -> None:
    site = estate.site(tmp_path)
    rng = random.Random(16)

    # The caller key is lost: every wallet re-sealed under a new one, while the service runs.
    with site.serving("restore") as client:
        restored = site.recovery(
            "restore", estate.ceremony.some_shares(THRESHOLD, rng), NEW_KEY, "--all"
        )
        assert restored.returncode == 0, restored.stderr
        summary = json.loads(restored.stdout)
        assert summary == {
            "restored": len(USERS),
            "already": 0,
            "withoutEscrow": [],
            "unreadable": [],
            "dryRun": False,
        }
        _assert_only_key(client, estate, NEW_KEY, KEY)
        assert _event_types(client, "ada") == ["created", "recovered", "signed"]
        _assert_audit_verifies(site)

    # The database loses the wallet rows: made again from the escrow records kept outside it.
    site.delete_wallet_rows()
    imported = site.recovery(
        "import",
        estate.ceremony.some_shares(SHARES, rng),  # more than K: the first K are used
        IMPORT_KEY,
        "--escrow-file",
        str(estate.escrow_file),
    )
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {
        "imported": len(USERS),
        "present": 0,
        "conflicts": [],
        "unknownUsers": [],
        "unreadable": [],
        "dryRun": False,
    }
    with site.serving("import") as client:
        _assert_only_key(client, estate, IMPORT_KEY, NEW_KEY, KEY)
        for user_id in USERS:
            assert _event_types(client, user_id) == ["created", "recovered", "signed"]
            escrow = client.get(f"/wallets/user/{user_id}/escrow").json()
            assert escrow["recoveryKeyId"] == estate.ceremony.key_id
        _assert_audit_verifies(site)

    _assert_nothing_secret_shown(estate, site)


@pytest.mark.parametrize("action", ["restore", "import"])
def test_too_few_or_mixed_shares_are_refused_and_change_nothing(
    estate: Estate, tmp_path: Path, action: str
) -> None:
    site = estate.site(tmp_path)
    if action == "import":
        site.delete_wallet_rows()
    args = ["--all"] if action == "restore" else ["--escrow-file", str(estate.escrow_file)]
    rng = random.Random(action)
    before = site.rows()
    for shares in (
        estate.ceremony.some_shares(THRESHOLD - 1, rng),
        [*estate.ceremony.some_shares(THRESHOLD - 1, rng), estate.other.shares[0]],
    ):
        refused = site.recovery(action, shares, NEW_KEY, *args)
        assert refused.returncode == 1, refused.stderr
        assert NOT_REBUILT in refused.stderr
        assert refused.stdout == ""
        assert site.rows() == before
    _assert_nothing_secret_shown(estate, site)


@pytest.mark.parametrize("action", ["restore", "import"])
def test_shares_of_another_ceremony_change_nothing(
    estate: Estate, tmp_path: Path, action: str
) -> None:
    """Another ceremony's K shares rebuild a recovery key, but not the one the escrows are
    sealed to: every wallet is listed as unreadable, and left as it was."""
    site = estate.site(tmp_path)
    if action == "import":
        site.delete_wallet_rows()
    args = ["--all"] if action == "restore" else ["--escrow-file", str(estate.escrow_file)]
    before = site.rows()
    shares = estate.other.some_shares(THRESHOLD, random.Random(action))
    refused = site.recovery(action, shares, NEW_KEY, *args)
    assert refused.returncode == 1, refused.stderr
    summary = json.loads(refused.stdout)
    wallet_ids = sorted(record["walletId"] for record in estate.records.values())
    assert sorted(summary["unreadable"]) == wallet_ids
    assert summary["restored" if action == "restore" else "imported"] == 0
    assert site.rows() == before
    _assert_nothing_secret_shown(estate, site)


@pytest.mark.parametrize("action", ["restore", "import"])
def test_shares_of_another_ceremony_are_named_as_such(
    estate: Estate, tmp_path: Path, action: str
) -> None:
    site = estate.site(tmp_path)
    if action == "import":
        site.delete_wallet_rows()
    args = ["--all"] if action == "restore" else ["--escrow-file", str(estate.escrow_file)]
    shares = estate.other.some_shares(THRESHOLD, random.Random(action))
    refused = site.recovery(action, shares, NEW_KEY, *args)
    assert refused.returncode == 1
    assert f"the shares rebuild recovery key {estate.other.key_id}" in refused.stderr
    assert "WALLET_RECOVERY_PUBLIC_KEY is recovery key" in refused.stderr
    assert "escrows could not be used" in refused.stderr
