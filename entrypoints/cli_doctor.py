"""`wallet-orchestrator doctor`: check a deployment, changing nothing, and say what to fix.

Every check is a small function returning a CheckResult. None of them migrates, writes, or creates
anything: adapters.sql.inspection opens the database so that it cannot be written (SQLite with
`mode=rw`, which never creates a missing file, and `PRAGMA query_only`; PostgreSQL with read-only
transactions). No token, token hash or password is printed.
"""

import asyncio
import enum
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from adapters.crypto.envelope import SALT_BYTES, KdfParams
from adapters.crypto.key_cache import stretch
from adapters.kms.base import BackendCheck
from adapters.sql import inspection
from adapters.sql.migrate import MigrationState
from entrypoints.http.auth import ApiTokens
from entrypoints.scopes import ALL_SCOPES, Scope, with_scopes
from entrypoints.settings import MEMORY_DATABASE_URL, Settings, SettingsError

CONFIGURATION, DATABASE, MIGRATIONS, TOKENS, KDF, KMS = (
    "configuration",
    "database",
    "migrations",
    "api tokens",
    "key derivation",
    "key management",
)
MIN_TOKEN_LENGTH = 32
MAX_DERIVATION_SECONDS = 1.0
OWASP_ARGON2ID = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
"""OWASP's minimum Argon2id configurations (memory KiB, passes), equally strong, one lane."""
MAKE_RANDOM_COMMAND = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
MIGRATE = "run `wallet-orchestrator migrate` (`serve` does it too, unless --no-migrate)"


class Status(enum.Enum):
    OK = "pass"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the report. `remedy` says what to do when the check did not pass."""

    name: str
    status: Status
    detail: str
    remedy: str = ""

    @property
    def passed(self) -> bool:
        return self.status is Status.OK


def _pass(name: str, detail: str) -> CheckResult:
    return CheckResult(name, Status.OK, detail)


def _fail(name: str, detail: str, remedy: str) -> CheckResult:
    return CheckResult(name, Status.FAIL, detail, remedy)


def _skip(name: str, reason: str) -> CheckResult:
    return CheckResult(name, Status.SKIP, f"skipped: {reason}", "fix the failure above first")


def run_doctor(environ: Mapping[str, str] = os.environ, console: Console | None = None) -> bool:
    """Run every check, print the table (stdout by default); whether every check passed."""
    results = run_checks(environ)
    print_report(results, console or Console())
    return all(result.passed for result in results)


def run_checks(environ: Mapping[str, str]) -> list[CheckResult]:
    try:
        settings = Settings.from_env(environ)
    except SettingsError as error:
        return [
            _fail(
                CONFIGURATION,
                str(error),
                "fix that variable (README.md, Configuration, lists each one and its default)",
            ),
            *(
                _skip(name, "needs a valid configuration")
                for name in (DATABASE, MIGRATIONS, TOKENS, KDF, KMS)
            ),
        ]
    return [
        _pass(CONFIGURATION, f"DATABASE_URL={masked(settings.database_url)}"),
        *check_database(settings),
        check_tokens(settings),
        check_key_derivation(settings.kdf),
        *check_key_management(settings),
    ]


def check_key_management(settings: Settings) -> list[CheckResult]:
    """The backend's own checks (reachable, key present, a wrap/unwrap round trip), each with
    how to fix it; nothing is created (`kms init` does that).
    """
    wrapper = settings.kms.key_wrapper(settings.db_timeout)
    if wrapper is None:
        return [
            _pass(
                KMS,
                "none (WALLET_KMS): envelopes v1; the database and the caller's key together "
                "open a wallet (README.md, With an HSM or a KMS)",
            )
        ]

    async def checked() -> list[BackendCheck]:
        try:
            return await wrapper.check()
        finally:
            await wrapper.aclose()

    return [
        _pass(f"{KMS}: {check.name}", check.detail)
        if check.ok
        else _fail(
            f"{KMS}: {check.name}", f"{wrapper.name} key {wrapper.key_label!r}", check.detail
        )
        for check in asyncio.run(checked())
    ]


def masked(database_url: str) -> str:
    """The URL with its password, if any, replaced by ***."""
    if database_url == MEMORY_DATABASE_URL:
        return database_url
    return inspection.masked_url(database_url)


def check_database(settings: Settings) -> list[CheckResult]:
    """Connectivity, then the migration state (skipped when the database cannot be reached)."""
    if settings.backend == "memory":
        return [
            _pass(
                DATABASE,
                "in memory: everything is lost when the process exits, and each "
                "worker has its own; not for production",
            ),
            _pass(MIGRATIONS, "nothing to migrate in memory"),
        ]
    report = asyncio.run(
        inspection.inspect_database(
            settings.database_url, settings.pool.connect_timeout, settings.db_timeout
        )
    )
    if not isinstance(report, inspection.Reached):
        return [
            judge_unreached(report, settings.database_url),
            _skip(MIGRATIONS, "needs the database"),
        ]
    return [
        _pass(DATABASE, f"answered SELECT 1 in {report.answered_ms:.0f} ms"),
        judge_migrations(report.schema),
    ]


def judge_unreached(report: inspection.NotReached, database_url: str) -> CheckResult:
    """Why the database check failed, and what to do about it."""
    match report:
        case inspection.SqliteInMemory():
            return _fail(
                DATABASE,
                "an in-memory SQLite database: every connection gets a new, empty one",
                "point DATABASE_URL at a file (sqlite:///path/wallets.db), or use memory://",
            )
        case inspection.SqliteFileMissing(path):
            return _fail(
                DATABASE,
                f"the SQLite file {path} does not exist",
                f"fix DATABASE_URL if it should exist; else {MIGRATE} to create it",
            )
        case inspection.Unreachable(reason):
            return _fail(
                DATABASE,
                f"cannot query {masked(database_url)}: {reason}",
                "check that the server is up and reachable from here, and DATABASE_URL's host, "
                "port, user, password and database name (WALLET_DB_CONNECT_TIMEOUT bounds the "
                "wait)",
            )


def judge_migrations(state: MigrationState | inspection.SchemaUnreadable) -> CheckResult:
    """The database's Alembic revision against this release's head."""
    if isinstance(state, inspection.SchemaUnreadable):
        return _fail(
            MIGRATIONS,
            f"cannot read the schema version: {state.reason}",
            "check that DATABASE_URL's user may read the database's tables",
        )
    heads = ", ".join(state.heads)
    if state.unknown:
        return _fail(
            MIGRATIONS,
            f"the database is at revision {', '.join(state.unknown)}, which this release does "
            f"not have (its newest is {heads}): a newer release migrated it",
            "run the release that migrated it, or a newer one; this release's `migrate` cannot "
            "go back (docs/deploy.md, Migrations during a rolling deploy)",
        )
    if not state.current:
        return _fail(
            MIGRATIONS, f"never migrated (no schema version; this release's is {heads})", MIGRATE
        )
    if not state.at_head:
        return _fail(
            MIGRATIONS,
            f"at revision {', '.join(state.current)}, behind this release's {heads}",
            MIGRATE,
        )
    return _pass(MIGRATIONS, f"at this release's newest revision, {heads}")


def check_tokens(settings: Settings) -> CheckResult:
    """Some token is configured, and every plain one is long enough; each token's id (a prefix
    of its digest) and scopes. Counts and ids only, never values.
    """
    if not settings.has_api_tokens:
        return _fail(
            TOKENS,
            "no API token is configured: `serve` would make up a new one on every start",
            "set WALLET_API_TOKEN_HASHES to the SHA-256 of a token made with "
            f'{MAKE_RANDOM_COMMAND} (printf %s "$TOKEN" | sha256sum), or WALLET_API_TOKENS to '
            "the token",
        )
    counts = (
        f"{len(settings.api_tokens)} in WALLET_API_TOKENS, "
        f"{len(settings.api_token_hashes)} in WALLET_API_TOKEN_HASHES"
    )
    short = [
        str(position)
        for position, entry in enumerate(settings.api_tokens, start=1)
        if len(with_scopes(entry)[0]) < MIN_TOKEN_LENGTH
    ]
    if short:
        return _fail(
            TOKENS,
            f"{counts}; WALLET_API_TOKENS {'entry' if len(short) == 1 else 'entries'} "
            f"{', '.join(short)} {'is' if len(short) == 1 else 'are'} shorter than "
            f"{MIN_TOKEN_LENGTH} characters",
            f"replace each with one made by {MAKE_RANDOM_COMMAND}, or better, list only "
            "their SHA-256 in WALLET_API_TOKEN_HASHES",
        )
    listed = ApiTokens(settings.api_tokens, settings.api_token_hashes).listed()
    scopes = ", ".join(f"{caller.token_id} ({_scopes(caller.scopes)})" for caller in listed)
    return _pass(TOKENS, f"{counts}; by id: {scopes}")


def _scopes(scopes: frozenset[Scope]) -> str:
    return "every scope" if scopes == ALL_SCOPES else "+".join(s for s in Scope if s in scopes)


def check_key_derivation(
    kdf: KdfParams, limit_seconds: float = MAX_DERIVATION_SECONDS
) -> CheckResult:
    """Time one Argon2id derivation at the configured cost; fail when it is too slow or too weak."""
    params = f"m={kdf.memory_kib} KiB, t={kdf.iterations}"
    started = time.perf_counter()
    try:
        stretch(os.urandom(32), os.urandom(SALT_BYTES), kdf)
    except Exception as error:  # noqa: BLE001 - e.g. more memory than the host can give
        return _fail(
            KDF,
            f"{params}: Argon2id failed ({type(error).__name__})",
            "lower WALLET_KDF_MEMORY_KIB to what this host can give each derivation",
        )
    elapsed = time.perf_counter() - started
    findings, remedies = [f"{params}: one derivation took {elapsed * 1000:.0f} ms"], []
    weak = not any(
        kdf.memory_kib >= memory and kdf.iterations >= passes for memory, passes in OWASP_ARGON2ID
    )
    if weak:
        findings.append(
            "below OWASP's minimum (m=19456 KiB, t=2, or an equivalent pair), which weakens "
            "every envelope sealed from now on"
        )
        remedies.append(
            "set WALLET_KDF_MEMORY_KIB=19456 and WALLET_KDF_ITERATIONS=2 (the defaults)"
        )
    if elapsed > limit_seconds:
        findings.append(
            f"over {limit_seconds:g} s: every request with a key not cached yet waits that long"
        )
        remedies.append(
            "lower WALLET_KDF_MEMORY_KIB or WALLET_KDF_ITERATIONS (not below OWASP's minimum), "
            "or give the service more CPU"
        )
    if remedies:
        return _fail(KDF, "; ".join(findings), "; ".join(remedies))
    return _pass(KDF, findings[0])


_STYLES = {Status.OK: "green", Status.FAIL: "bold red", Status.SKIP: "yellow"}


def print_report(results: list[CheckResult], console: Console) -> None:
    table = Table(title="wallet-orchestrator doctor", title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("detail, and what to do", overflow="fold")
    for result in results:
        # Text, not str: details quote error messages, which must not be read as rich markup.
        detail = Text(result.detail)
        if result.remedy:
            detail.append("\nto fix: ").append(result.remedy, style="bold")
        table.add_row(result.name, Text(result.status.value, style=_STYLES[result.status]), detail)
    console.print(table)
    failed = sum(not result.passed for result in results)
    console.print(
        f"{failed} of {len(results)} checks did not pass"
        if failed
        else f"all {len(results)} checks passed"
    )
