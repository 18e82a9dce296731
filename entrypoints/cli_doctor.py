"""`wallet-orchestrator doctor`: check a deployment, changing nothing, and say what to fix.

Every check is a small function returning a CheckResult. None of them migrates, writes, or creates
anything: adapters.sql.inspection opens the database so that it cannot be written (SQLite with
`mode=rw`, which never creates a missing file, and `PRAGMA query_only`; PostgreSQL with read-only
transactions). No token, token hash or password is printed.
"""

import os
from collections.abc import Mapping

from rich.console import Console

from entrypoints.doctor_database import check_database, masked
from entrypoints.doctor_keys import check_key_derivation, check_key_management
from entrypoints.doctor_report import (
    CONFIGURATION,
    DATABASE,
    KDF,
    KMS,
    MIGRATIONS,
    TOKENS,
    CheckResult,
    fail,
    ok,
    print_report,
    skip,
)
from entrypoints.doctor_tokens import check_tokens
from entrypoints.settings import Settings, SettingsError


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
            fail(
                CONFIGURATION,
                str(error),
                "fix that variable (README.md, Configuration, lists each one and its default)",
            ),
            *(
                skip(name, "needs a valid configuration")
                for name in (DATABASE, MIGRATIONS, TOKENS, KDF, KMS)
            ),
        ]
    return [
        ok(CONFIGURATION, f"DATABASE_URL={masked(settings.database_url)}"),
        *check_database(settings),
        check_tokens(settings),
        check_key_derivation(settings.kdf),
        *check_key_management(settings),
    ]
