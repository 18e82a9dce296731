"""The doctor's database checks: can it be queried, and is it at this release's migration."""

import asyncio

from adapters.sql import inspection
from adapters.sql.migrate import MigrationState
from entrypoints.doctor_report import DATABASE, MIGRATIONS, CheckResult, fail, ok, skip
from entrypoints.settings import MEMORY_DATABASE_URL, Settings

MIGRATE = "run `wallet-orchestrator migrate` (`serve` does it too, unless --no-migrate)"


def masked(database_url: str) -> str:
    """The URL with its password, if any, replaced by ***."""
    if database_url == MEMORY_DATABASE_URL:
        return database_url
    return inspection.masked_url(database_url)


def check_database(settings: Settings) -> list[CheckResult]:
    """Connectivity, then the migration state (skipped when the database cannot be reached)."""
    if settings.backend == "memory":
        return [
            ok(
                DATABASE,
                "in memory: everything is lost when the process exits, and each "
                "worker has its own; not for production",
            ),
            ok(MIGRATIONS, "nothing to migrate in memory"),
        ]
    report = asyncio.run(
        inspection.inspect_database(
            settings.database_url, settings.pool.connect_timeout, settings.db_timeout
        )
    )
    if not isinstance(report, inspection.Reached):
        return [
            judge_unreached(report, settings.database_url),
            skip(MIGRATIONS, "needs the database"),
        ]
    return [
        ok(DATABASE, f"answered SELECT 1 in {report.answered_ms:.0f} ms"),
        judge_migrations(report.schema),
    ]


def judge_unreached(report: inspection.NotReached, database_url: str) -> CheckResult:
    """Why the database check failed, and what to do about it."""
    match report:
        case inspection.SqliteInMemory():
            return fail(
                DATABASE,
                "an in-memory SQLite database: every connection gets a new, empty one",
                "point DATABASE_URL at a file (sqlite:///path/wallets.db), or use memory://",
            )
        case inspection.SqliteFileMissing(path):
            return fail(
                DATABASE,
                f"the SQLite file {path} does not exist",
                f"fix DATABASE_URL if it should exist; else {MIGRATE} to create it",
            )
        case inspection.Unreachable(reason):
            return fail(
                DATABASE,
                f"cannot query {masked(database_url)}: {reason}",
                "check that the server is up and reachable from here, and DATABASE_URL's host, "
                "port, user, password and database name (WALLET_DB_CONNECT_TIMEOUT bounds the "
                "wait)",
            )


def judge_migrations(state: MigrationState | inspection.SchemaUnreadable) -> CheckResult:
    """The database's Alembic revision against this release's head."""
    if isinstance(state, inspection.SchemaUnreadable):
        return fail(
            MIGRATIONS,
            f"cannot read the schema version: {state.reason}",
            "check that DATABASE_URL's user may read the database's tables",
        )
    heads = ", ".join(state.heads)
    if state.unknown:
        return fail(
            MIGRATIONS,
            f"the database is at revision {', '.join(state.unknown)}, which this release does "
            f"not have (its newest is {heads}): a newer release migrated it",
            "run the release that migrated it, or a newer one; this release's `migrate` cannot "
            "go back (docs/deploy.md, Migrations during a rolling deploy)",
        )
    if not state.current:
        return fail(
            MIGRATIONS, f"never migrated (no schema version; this release's is {heads})", MIGRATE
        )
    if not state.at_head:
        return fail(
            MIGRATIONS,
            f"at revision {', '.join(state.current)}, behind this release's {heads}",
            MIGRATE,
        )
    return ok(MIGRATIONS, f"at this release's newest revision, {heads}")
