"""`wallet-orchestrator kms …`: the key-management backend's key and the envelopes it protects."""

import sys

from adapters.kms.base import KeyWrapper
from entrypoints.cli_custody import BulkProgress, list_wallets, wallet_count
from entrypoints.cli_keys import UsageError, read_key
from entrypoints.container import Container
from entrypoints.errors import EXIT_FAILED, EXIT_OK

ACTIONS = ("init", "rotate", "rewrap", "upgrade")


async def run_kms(container: Container, action: str, *, dry_run: bool) -> int:
    """One `kms` action on the configured backend (UsageError when WALLET_KMS is none)."""
    wrapper = _configured(container)
    if action == "init":
        return await _init(wrapper)
    if action == "rotate":
        key_ref = await wrapper.rotate_key()
        print(
            f"{wrapper.name} key {wrapper.key_label!r}: newest version {key_ref}; "
            "`wallet-orchestrator kms rewrap` moves every wallet to it",
            file=sys.stderr,
        )
        return EXIT_OK
    if action == "rewrap":
        return await _rewrap(container, dry_run=dry_run)
    return await _upgrade(container, dry_run=dry_run)


def _configured(container: Container) -> KeyWrapper:
    wrapper = container.key_wrapper()
    if wrapper is None:
        raise UsageError("no key-management backend: set WALLET_KMS to pkcs11 or transit")
    return wrapper


async def _init(wrapper: KeyWrapper) -> int:
    created = await wrapper.ensure_key()
    state = "created" if created else "already there"
    print(f"{wrapper.name} key {wrapper.key_label!r}: {state}", file=sys.stderr)
    failed = [check for check in await wrapper.check() if not check.ok]
    for check in failed:
        print(f"{check.name}: {check.detail}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


async def _rewrap(container: Container, *, dry_run: bool) -> int:
    total = await wallet_count(container)
    with BulkProgress("rewrapping" + (" (dry run)" if dry_run else ""), total) as progress:
        totals = await container.rewrap_all()(
            dry_run=dry_run, actor="cli", on_batch=progress.update
        )
        verb = "would rewrap" if dry_run else "rewrapped"
        progress.summary(
            f"{verb} {totals.rewrapped}, already at the newest key version {totals.current}, "
            f"without a second factor (v1) {totals.without_second_factor}, "
            f"failed {len(totals.failed)}"
        )
    list_wallets("not rewrapped (another backend key, or damaged)", totals.failed)
    return EXIT_FAILED if totals.failed else EXIT_OK


async def _upgrade(container: Container, *, dry_run: bool) -> int:
    total = await wallet_count(container)
    with (
        read_key() as key,
        BulkProgress("upgrading" + (" (dry run)" if dry_run else ""), total) as progress,
    ):
        totals = await container.upgrade_envelopes()(
            key, dry_run=dry_run, actor="cli", on_batch=progress.update
        )
        verb = "would upgrade" if dry_run else "upgraded"
        progress.summary(
            f"{verb} {totals.upgraded}, already current {totals.current}, "
            f"under other keys {len(totals.other_key)}, failed {len(totals.failed)}"
        )
    list_wallets("under another key", totals.other_key)
    list_wallets("not upgraded (damaged, or another backend key)", totals.failed)
    return EXIT_FAILED if totals.failed else EXIT_OK
