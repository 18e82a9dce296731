"""The custody commands of the CLI: bulk key rotation with progress, and audit verification."""

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from application.rotate_all_keys import RotationProgress
from domain.errors import Field
from entrypoints.cli_keys import read_key
from entrypoints.container import Container
from entrypoints.errors import EXIT_FAILED, EXIT_OK


async def rotate_keys(container: Container, *, dry_run: bool) -> int:
    """Re-seal every wallet the old key opens under the new one; exit 1 if some wallets opened
    with neither key (they are listed).
    """
    console = Console(stderr=True)
    total = await _wallet_count(container)
    started = time.monotonic()
    with (
        read_key(Field.ENCRYPTION_KEY, "current encryption key") as old_key,
        read_key(Field.NEW_ENCRYPTION_KEY, "new encryption key") as new_key,
        Progress(
            TextColumn("[bold]rotating" + (" (dry run)" if dry_run else "")),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.0f} wallets/s"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as progress,
    ):
        task = progress.add_task("rotate", total=total, rate=0.0)

        def on_batch(totals: RotationProgress) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            progress.update(task, completed=totals.seen, rate=totals.seen / elapsed)

        totals = await container.rotate_all_keys()(
            old_key, new_key, dry_run=dry_run, actor="cli", on_batch=on_batch
        )
    verb = "would rotate" if dry_run else "rotated"
    console.print(
        f"{verb} {totals.rotated}, already under the new key {totals.already_rotated}, "
        f"opened by neither key {len(totals.unopenable)} "
        f"in {time.monotonic() - started:.1f} s"
    )
    for wallet_id in totals.unopenable:
        print(f"unopenable wallet: {wallet_id}", file=sys.stderr)
    return EXIT_FAILED if totals.unopenable else EXIT_OK


async def verify_audit(container: Container) -> int:
    """Check every wallet's audit chain; print the first broken link of each; exit 1 if any."""
    report = await container.verify_audit_trail()()
    for link in report.broken:
        print(f"wallet {link.wallet_id}: event {link.sequence}: {link.reason}")
    print(
        f"audit: {report.wallets_checked} wallets checked, {len(report.broken)} broken",
        file=sys.stderr,
    )
    return EXIT_FAILED if report.broken else EXIT_OK


async def _wallet_count(container: Container) -> int:
    count, after = 0, None
    while True:
        async with container.unit_of_work() as uow:
            ids = await uow.wallets.read_ids(after, 10_000)
        count += len(ids)
        if len(ids) < 10_000:
            return count
        after = ids[-1]
