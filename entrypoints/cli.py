"""The `wallet-orchestrator` command: serve the API, migrate, and run the use cases in-process."""

import argparse
import asyncio
import dataclasses
import os
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

import msgspec

from adapters.sql.migrate import MigrationLockTimeout
from application.create_user_wallet import CreateWalletRequest
from application.register_user import RegisterUserRequest
from domain.errors import DomainError
from entrypoints.cli_accounts import activate
from entrypoints.cli_accounts import add_parsers as add_account_parsers
from entrypoints.cli_accounts import signers as change_signers
from entrypoints.cli_batch import add_parser as add_batch_parser
from entrypoints.cli_batch import create_wallets
from entrypoints.cli_custody import rotate_keys, verify_audit
from entrypoints.cli_doctor import run_doctor
from entrypoints.cli_inspect import add_parser as add_inspect_parser
from entrypoints.cli_inspect import inspect
from entrypoints.cli_keys import (
    KEY_VARIABLE,
    NEW_KEY_VARIABLE,
    UsageError,
    cli_name,
    positive,
    read_key,
)
from entrypoints.cli_kms import ACTIONS as KMS_ACTIONS
from entrypoints.cli_kms import run_kms
from entrypoints.cli_policy import add_parser as add_policy_parser
from entrypoints.cli_policy import run_policy
from entrypoints.cli_recovery import OFFLINE as RECOVERY_OFFLINE
from entrypoints.cli_recovery import add_parser as add_recovery_parser
from entrypoints.cli_recovery import run_offline, run_recovery
from entrypoints.cli_webhooks import add_parser as add_webhooks_parser
from entrypoints.cli_webhooks import run_webhooks
from entrypoints.container import Container, open_container
from entrypoints.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, detail_of, problem_type_of
from entrypoints.http.schemas import UserBody, WalletBody
from entrypoints.logs import logging_config
from entrypoints.metrics_dir import metrics_directory
from entrypoints.settings import Settings, SettingsError

WORKER_HEALTHCHECK_SECONDS = 60
KEEP_ALIVE_SECONDS = 75


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "doctor":
        # Before the settings are read: a bad configuration is one of its findings.
        return EXIT_OK if run_doctor() else EXIT_FAILED
    try:
        return _run(args)
    except (SettingsError, UsageError) as error:
        _fail(str(error))
        return EXIT_USAGE
    except MigrationLockTimeout as error:
        # Not started: another instance (or any session named here) is migrating, or stuck.
        _fail(f"{error}; wait longer (WALLET_MIGRATION_LOCK_TIMEOUT) or end that session")
        return EXIT_FAILED
    except DomainError as error:
        _fail(detail_of(error, cli_name))
        row = problem_type_of(error)
        if row is not None and row.detail is not None:
            # What the API keeps for its log (backend, key, reason) is for this operator.
            _fail(str(error))
        return EXIT_FAILED if row is None else row.exit_code


def _run(args: argparse.Namespace) -> int:
    if args.command == "recovery" and args.action in RECOVERY_OFFLINE:
        # A key ceremony runs on an offline machine: no settings, no database.
        return run_offline(args)
    settings = Settings.from_env()
    if args.command == "serve":
        return _serve(args, settings)
    return asyncio.run(_in_process(args, settings))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wallet-orchestrator",
        description="One Stellar wallet per user. DATABASE_URL selects the database; the "
        f"encryption key comes from {KEY_VARIABLE} or a prompt, never from arguments.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply migrations, then serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=positive, default=1)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    commands.add_parser("migrate", help="apply pending migrations")
    commands.add_parser(
        "doctor",
        help="check configuration, database, migrations, tokens and key-derivation cost "
        "(changes nothing; exit 1 if a check fails)",
    )
    create_user = commands.add_parser("create-user", help="register a user (prints JSON)")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--id", dest="user_id")
    create_wallet = commands.add_parser("create-wallet", help="create or fetch a user's wallet")
    create_wallet.add_argument("--user-id", required=True)
    add_batch_parser(commands)
    get_wallet = commands.add_parser("get-wallet", help="print a user's wallet")
    get_wallet.add_argument("--user-id", required=True)
    rotate = commands.add_parser(
        "rotate-keys",
        help=f"re-seal every wallet the old key ({KEY_VARIABLE}) opens under the new key "
        f"({NEW_KEY_VARIABLE}); resumable, safe while the service runs",
    )
    rotate.add_argument("--dry-run", action="store_true", help="count, change nothing")
    rotate.add_argument("--batch-size", type=positive, help="wallets per transaction")
    audit = commands.add_parser("audit", help="the audit trail")
    audit.add_argument("action", choices=["verify"], help="verify: check every wallet's chain")
    kms = commands.add_parser(
        "kms",
        help="the key-management backend (WALLET_KMS): init makes its key if missing; rotate "
        "makes a new key version; rewrap moves every wallet's second factor to the newest "
        f"version (no caller key); upgrade re-seals the v1 wallets of {KEY_VARIABLE} as v2",
    )
    kms.add_argument("action", choices=KMS_ACTIONS)
    kms.add_argument("--dry-run", action="store_true", help="rewrap, upgrade: count only")
    kms.add_argument("--batch-size", type=positive, help="rewrap, upgrade: wallets per batch")
    add_inspect_parser(commands)
    accounts = add_account_parsers(commands)
    add_recovery_parser(commands)
    policy = add_policy_parser(commands)
    webhooks = add_webhooks_parser(commands)
    commands_on_a_database = (create_user, create_wallet, get_wallet, rotate, audit, kms, policy)
    for command in (*commands_on_a_database, webhooks, *accounts):
        command.add_argument("--no-migrate", action="store_true", help="do not apply migrations")
    return parser


async def _in_process(args: argparse.Namespace, settings: Settings) -> int:
    # `inspect` touches no database: nothing to migrate.
    migrate_first = args.command == "migrate" or not getattr(args, "no_migrate", True)
    if args.command in {"rotate-keys", "kms", "recovery"} and getattr(args, "batch_size", None):
        settings = dataclasses.replace(settings, rotation_batch_size=args.batch_size)
    async with open_container(settings, apply_migrations=migrate_first) as container:
        runner = _RUNNERS.get(args.command)
        if runner is not None:
            return await runner(container, args)
        command = _COMMANDS.get(args.command)
        if command is not None:
            _print_json(await command(container, args))
    if args.command == "migrate":
        print("migrations applied", file=sys.stderr)
    return EXIT_OK


async def _create_user(container: Container, args: argparse.Namespace) -> object:
    result = await container.register_user()(RegisterUserRequest(args.email, args.user_id))
    return UserBody.of(result)


async def _create_wallet(container: Container, args: argparse.Namespace) -> object:
    with read_key() as key:
        result = await container.create_user_wallet()(CreateWalletRequest(args.user_id, key))
    return WalletBody.of(result)


async def _get_wallet(container: Container, args: argparse.Namespace) -> object:
    return WalletBody.of(await container.get_wallet_by_user()(args.user_id))


async def _rotate_keys(container: Container, args: argparse.Namespace) -> int:
    return await rotate_keys(container, dry_run=args.dry_run)


async def _audit(container: Container, _: argparse.Namespace) -> int:
    return await verify_audit(container)


async def _kms(container: Container, args: argparse.Namespace) -> int:
    return await run_kms(container, args.action, dry_run=args.dry_run)


_RUNNERS: dict[str, Callable[[Container, argparse.Namespace], Awaitable[int]]] = {
    "rotate-keys": _rotate_keys,
    "create-wallets": create_wallets,
    "audit": _audit,
    "kms": _kms,
    "recovery": run_recovery,
    "webhooks": run_webhooks,
}
"""Commands that print for themselves and say their exit code."""

_COMMANDS: dict[str, Callable[[Container, argparse.Namespace], Awaitable[object]]] = {
    "create-user": _create_user,
    "create-wallet": _create_wallet,
    "get-wallet": _get_wallet,
    "inspect": inspect,
    "activate": activate,
    "signers": change_signers,
    "policy": run_policy,
}


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if settings.backend == "memory" and args.workers > 1:
        raise UsageError("the in-memory database cannot be shared by several workers")
    if not settings.has_api_tokens:
        token = secrets.token_urlsafe(32)
        os.environ["WALLET_API_TOKENS"] = token
        print(
            "wallet-orchestrator: no API token is configured (WALLET_API_TOKENS); this run "
            "accepts only this token:\n"
            f"  export TOKEN={token}",
            file=sys.stderr,
            flush=True,
        )
    if settings.backend == "sql" and not args.no_migrate:
        asyncio.run(_migrate_only(settings))
    with metrics_directory(), _sigterm_unwinds():
        _run_uvicorn(args, settings)
    return EXIT_OK


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM ends `serve` by unwinding (SystemExit, status 143), so that what it set up is
    undone (the metrics directory): uvicorn, with one worker, shuts down on SIGTERM and then
    raises it again, whose default action would end the process on the spot.
    """
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _run_uvicorn(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn  # noqa: PLC0415 - only `serve` needs the server

    from entrypoints.http.one_write import OneWriteHttpProtocol  # noqa: PLC0415 - as uvicorn

    uvicorn.run(
        "entrypoints.http.app:create_served_app",
        factory=True,
        http=OneWriteHttpProtocol,  # each response's head and body in one write
        host=args.host,
        port=args.port,
        workers=args.workers,
        # The supervisor kills a worker that does not answer its ping in time, dropping the
        # requests it was serving; a worker busy on a loaded host is not a hung one.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        # Longer than clients' and proxies' idle timeouts (httpx 5 s, nginx 75 s upstream
        # keep-alive is usually lower): the client, not the server, should close an idle
        # connection, or a request sent as the server closes it is reset mid-flight.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        log_level=settings.log_level.lower(),
        log_config=logging_config(settings.log_level, settings.log_format),
        access_log=False,
    )


async def _migrate_only(settings: Settings) -> None:
    async with open_container(settings):
        pass


def _print_json(body: object) -> None:
    print(msgspec.json.encode(body).decode())


def _fail(message: str) -> None:
    print(
        f"wallet-orchestrator: {message.splitlines()[0] if message else 'failed'}", file=sys.stderr
    )


if __name__ == "__main__":
    sys.exit(main())
