"""The custody commands of the CLI: bulk key rotation with progress, and audit verification."""

import sys
import time
from typing import Protocol, Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from domain.errors import Field
from entrypoints.cli_keys import read_key
from entrypoints.container import Container
from entrypoints.errors import EXIT_FAILED, EXIT_OK


class BulkProgress:
    """A progress bar on standard error for a bulk command, with a rate and time remaining."""

    def __init__(self, label: str, total: int) -> None:
        self.console = Console(stderr=True)
        self.started = time.monotonic()
        self._bar = Progress(
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.0f} wallets/s"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._task = self._bar.add_task(label, total=total, rate=0.0)

    def __enter__(self) -> Self:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)

    def update(self, totals: "HasSeen") -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self._bar.update(self._task, completed=totals.seen, rate=totals.seen / elapsed)

    def summary(self, text: str) -> None:
        self.console.print(f"{text} in {time.monotonic() - self.started:.1f} s")


class HasSeen(Protocol):
    @property
    def seen(self) -> int: ...


def list_wallets(label: str, wallet_ids: list[str]) -> None:
    """One line per wallet on standard error."""
    for wallet_id in wallet_ids:
        print(f"{label}: {wallet_id}", file=sys.stderr)


async def rotate_keys(container: Container, *, dry_run: bool) -> int:
    """Re-seal every wallet the old key opens under the new one; exit 1 if some wallets opened
    with neither key (they are listed).
    """
    total = await wallet_count(container)
    with (
        read_key(Field.ENCRYPTION_KEY, "current encryption key") as old_key,
        read_key(Field.NEW_ENCRYPTION_KEY, "new encryption key") as new_key,
        BulkProgress("rotating" + (" (dry run)" if dry_run else ""), total) as progress,
    ):
        totals = await container.rotate_all_keys()(
            old_key, new_key, dry_run=dry_run, actor="cli", on_batch=progress.update
        )
        verb = "would rotate" if dry_run else "rotated"
        progress.summary(
            f"{verb} {totals.rotated}, already under the new key {totals.already_rotated}, "
            f"opened by neither key {len(totals.unopenable)}"
        )
    list_wallets("unopenable wallet", totals.unopenable)
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


async def wallet_count(container: Container) -> int:
    count, after = 0, None
    while True:
        async with container.unit_of_work() as uow:
            ids = await uow.wallets.read_ids(after, 10_000)
        count += len(ids)
        if len(ids) < 10_000:
            return count
        after = ids[-1]
