"""`wallet-orchestrator recovery …`: the break-glass escrow. `keygen` and `check` run offline
(no database); `escrow`, `restore` and `import` work on the database.
"""

import argparse
import getpass
import json
import sys
from pathlib import Path

import msgspec

from adapters.crypto.recovery import MAX_SHARES, RebuiltRecoveryKey, new_recovery_key
from application.get_escrow import EscrowResult
from domain.errors import Field, InvalidInput
from domain.recovery import RecoveryKey
from entrypoints.cli_custody import BulkProgress, list_wallets, wallet_count
from entrypoints.cli_keys import UsageError, positive, read_key
from entrypoints.container import Container
from entrypoints.errors import EXIT_FAILED, EXIT_OK

OFFLINE = ("keygen", "check")
"""The actions that touch no database."""


def add_parser(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> argparse.ArgumentParser:
    recovery = commands.add_parser(
        "recovery",
        help="the break-glass escrow to an offline recovery key split in K-of-N SLIP-39 shares: "
        "keygen, check (offline); escrow, restore, import (on the database)",
    )
    actions = recovery.add_subparsers(dest="action", required=True)
    keygen = actions.add_parser(
        "keygen", help="make a recovery key in memory and print its public key and its shares"
    )
    keygen.add_argument("--shares", type=int, default=5, help=f"N, 2 to {MAX_SHARES}")
    keygen.add_argument("--threshold", type=int, default=3, help="K, 2 to N")
    keygen.add_argument("--json", action="store_true", help="print JSON")
    check = actions.add_parser(
        "check", help="do these shares rebuild the private key of this public key? (exit 0/1)"
    )
    check.add_argument("--public-key", required=True, help="the recovery key's public half")
    escrow = actions.add_parser(
        "escrow",
        help="escrow the wallets of WALLET_ENCRYPTION_KEY to WALLET_RECOVERY_PUBLIC_KEY (those "
        "without escrow, or escrowed to a former recovery key); batched, resumable",
    )
    restore = actions.add_parser(
        "restore",
        help="re-seal wallets from their escrows under a new caller key "
        "(WALLET_NEW_ENCRYPTION_KEY), with the recovery key rebuilt from shares",
    )
    which = restore.add_mutually_exclusive_group(required=True)
    which.add_argument("--user-id", help="one user's wallet")
    which.add_argument("--all", action="store_true", help="every wallet with an escrow")
    imported = actions.add_parser(
        "import",
        help="make again, under a new caller key, the wallets of escrow records the database "
        "no longer has (JSON lines, as GET /wallets/user/{userId}/escrow returns them)",
    )
    imported.add_argument("--escrow-file", required=True, type=Path)
    for command in (escrow, restore, imported):
        command.add_argument("--dry-run", action="store_true", help="count, change nothing")
        command.add_argument("--no-migrate", action="store_true", help="do not apply migrations")
    for command in (escrow, restore):
        command.add_argument("--batch-size", type=positive, help="wallets per transaction")
    return recovery


def run_offline(args: argparse.Namespace) -> int:
    """`keygen` or `check`: no database, no settings beyond the command line."""
    if args.action == "keygen":
        return _keygen(args.shares, args.threshold, as_json=args.json)
    rebuilt = _rebuilt_key(read_shares())
    try:
        expected = RecoveryKey(args.public_key)
    except InvalidInput:
        raise UsageError("--public-key must be 32 bytes of standard base64") from None
    if rebuilt.public_key != expected.public_key:
        print("these shares rebuild another recovery key, not this one", file=sys.stderr)
        return EXIT_FAILED
    print(f"the shares rebuild recovery key {expected.key_id}", file=sys.stderr)
    return EXIT_OK


async def run_recovery(container: Container, args: argparse.Namespace) -> int:
    """`escrow`, `restore` or `import` on the database."""
    if args.action == "escrow":
        return await _escrow(container, dry_run=args.dry_run)
    opener = _rebuilt_key(read_shares())
    rebuilt = opener.recovery_key.key_id
    print(f"the shares rebuild recovery key {rebuilt}", file=sys.stderr)
    configured = container.settings().recovery_key
    if configured is not None and configured.key_id != rebuilt:
        print(
            f"WALLET_RECOVERY_PUBLIC_KEY is recovery key {configured.key_id}: only escrows "
            f"sealed to {rebuilt} can be used",
            file=sys.stderr,
        )
    with read_key(Field.NEW_ENCRYPTION_KEY, "new encryption key") as new_key:
        if args.action == "restore":
            total = 1 if args.user_id else await wallet_count(container)
            label = "restoring (dry run)" if args.dry_run else "restoring"
            with BulkProgress(label, total) as progress:
                totals = await container.restore_wallets()(
                    opener,
                    new_key,
                    user_id=args.user_id,
                    dry_run=args.dry_run,
                    actor="cli",
                    on_batch=progress.update,
                )
            refused = totals.without_escrow + totals.unreadable
            summary = {
                "restored": totals.restored,
                "already": totals.already,
                "withoutEscrow": totals.without_escrow,
                "unreadable": totals.unreadable,
                "dryRun": args.dry_run,
            }
        else:
            records = _records(args.escrow_file)
            imported = await container.import_escrows()(
                opener, new_key, records, dry_run=args.dry_run, actor="cli"
            )
            refused = imported.conflicts + imported.unknown_users + imported.unreadable
            summary = {
                "imported": imported.imported,
                "present": imported.present,
                "conflicts": imported.conflicts,
                "unknownUsers": imported.unknown_users,
                "unreadable": imported.unreadable,
                "dryRun": args.dry_run,
            }
    unreadable = summary["unreadable"]
    if isinstance(unreadable, list) and unreadable:
        print(
            f"{len(unreadable)} escrows could not be used with recovery key {rebuilt}: sealed "
            "to another recovery key, damaged, or not the wallet's seed (listed in the summary)",
            file=sys.stderr,
        )
    print(json.dumps(summary))
    return EXIT_FAILED if refused else EXIT_OK


def read_shares() -> list[str]:
    """Shares from standard input, one per line, when it is not a terminal; else asked for one
    by one (not echoed) until an empty answer.
    """
    if not sys.stdin.isatty():
        return [line.strip() for line in sys.stdin if line.strip()]
    shares: list[str] = []
    while share := getpass.getpass(f"share {len(shares) + 1} (empty to finish): ").strip():
        shares.append(share)
    return shares


def _rebuilt_key(shares: list[str]) -> RebuiltRecoveryKey:
    if not shares:
        raise UsageError("no shares given (one per line on standard input, or at the prompts)")
    return RebuiltRecoveryKey(shares)


def _keygen(shares: int, threshold: int, *, as_json: bool) -> int:
    ceremony = new_recovery_key(shares, threshold)
    key = ceremony.recovery_key
    if as_json:
        body = {"publicKey": key.public_key, "keyId": key.key_id, "shares": list(ceremony.shares)}
        print(json.dumps(body))
        return EXIT_OK
    print(f"WALLET_RECOVERY_PUBLIC_KEY={key.public_key}")
    print(f"# key id {key.key_id}; any {threshold} of these {shares} shares rebuild it:")
    for number, share in enumerate(ceremony.shares, 1):
        print(f"share {number}: {share}")
    return EXIT_OK


async def _escrow(container: Container, *, dry_run: bool) -> int:
    total = await wallet_count(container)
    label = "escrowing (dry run)" if dry_run else "escrowing"
    with read_key() as key, BulkProgress(label, total) as progress:
        totals = await container.escrow_all()(
            key, dry_run=dry_run, actor="cli", on_batch=progress.update
        )
        verb = "would escrow" if dry_run else "escrowed"
        progress.summary(
            f"{verb} {totals.escrowed}, already escrowed to this recovery key {totals.current}, "
            f"under other caller keys {len(totals.other_key)}, failed {len(totals.failed)}"
        )
    list_wallets("under another key", totals.other_key)
    list_wallets("not escrowed (damaged, or another backend key)", totals.failed)
    return EXIT_FAILED if totals.failed else EXIT_OK


def _records(path: Path) -> list[EscrowResult]:
    """The escrow records of a JSON-lines file (InvalidInput naming the line if one is not)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {type(error).__name__}") from None
    decoder = msgspec.json.Decoder(_EscrowLine)
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = decoder.decode(line)
        except msgspec.DecodeError:
            raise InvalidInput(
                Field.ESCROW_FILE, f"line {number} is not an escrow record"
            ) from None
        records.append(
            EscrowResult(
                item.wallet_id,
                item.user_id,
                item.public_key,
                item.recovery_key_id,
                item.sealed_seed,
            )
        )
    return records


class _EscrowLine(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    wallet_id: str
    user_id: str
    public_key: str
    recovery_key_id: str
    sealed_seed: str
