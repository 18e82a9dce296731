"""`wallet-orchestrator create-wallets`: POST /wallets/batch from the command line, for a whole
user base: user ids one per line (a file or standard input), created in batches with a progress
bar, and a JSON summary.
"""

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from application.create_wallets import CreateWalletsRequest, ItemOutcome
from domain.errors import DomainError, Field
from entrypoints.cli_custody import BulkProgress
from entrypoints.cli_keys import UsageError, cli_name, read_key
from entrypoints.container import Container
from entrypoints.errors import EXIT_FAILED, EXIT_OK, detail_of, problem_type_of
from entrypoints.http.schemas.wallets import MAX_BATCH_ITEMS

BATCH_SIZE = MAX_BATCH_ITEMS
"""Items per batch: as many as one request may carry."""


def add_parser(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> argparse.ArgumentParser:
    """The command's parser."""
    parser = commands.add_parser(
        "create-wallets",
        help="create (or fetch) the wallets of many users under one key: user ids one per line "
        f"(--file, or standard input), in batches of {BATCH_SIZE} with a progress bar; prints a "
        "JSON summary (exit 1 if an item failed)",
    )
    parser.add_argument("--file", help="the user ids, one per line (default: standard input)")
    parser.add_argument("--no-migrate", action="store_true", help="do not apply migrations")
    return parser


class Failure(msgspec.Struct, rename="camel"):
    """An item that got no wallet: its line, its user id, and the problem as the API names it."""

    line: int
    user_id: str
    type: str
    detail: str


class Summary(msgspec.Struct, rename="camel"):
    """What the command did: items read, wallets created, wallets that existed already (the key
    opens them), items that failed (listed), and what stopped the run, if something did.
    """

    items: int
    created: int = 0
    existing: int = 0
    failed: int = 0
    failures: list[Failure] = msgspec.field(default_factory=list)
    stopped: str | None = None


@dataclass
class _Tally:
    summary: Summary
    seen: int = 0
    lines: list[int] = field(default_factory=list)

    def add(self, outcomes: Sequence[ItemOutcome]) -> None:
        for outcome in outcomes:
            line = self.lines[self.seen]
            self.seen += 1
            if outcome.error is not None:
                self.summary.failures.append(_failure(line, outcome.user_id, outcome.error))
            elif outcome.wallet is not None and outcome.wallet.created:
                self.summary.created += 1
            else:
                self.summary.existing += 1
        self.summary.failed = len(self.summary.failures)


async def create_wallets(container: Container, args: argparse.Namespace) -> int:
    """Create the wallets, print the summary; exit 1 if an item failed. An error that stops a
    batch (the database, the key-management backend, ...) is raised after the summary of what
    was done: running the command again is safe.
    """
    with read_key() as key:
        lines, user_ids = _user_ids(args.file)
        tally = _Tally(Summary(items=len(user_ids)), lines=lines)
        try:
            with BulkProgress("creating wallets", len(user_ids)) as progress:
                for start in range(0, len(user_ids), BATCH_SIZE):
                    batch = user_ids[start : start + BATCH_SIZE]
                    request = CreateWalletsRequest(batch, key, actor="cli")
                    tally.add(await container.create_wallets()(request))
                    progress.update(tally)
                progress.summary(
                    f"created {tally.summary.created}, existing {tally.summary.existing}, "
                    f"failed {tally.summary.failed}"
                )
        except DomainError as error:
            tally.summary.stopped = detail_of(error, _name)
            _print(tally.summary)
            raise
    _print(tally.summary)
    return EXIT_FAILED if tally.summary.failed else EXIT_OK


def _user_ids(path: str | None) -> tuple[list[int], list[str]]:
    """The user ids and their line numbers: each line as written, without its line ending;
    empty lines skipped.
    """
    text = sys.stdin.read() if path in {None, "-"} else _read(str(path))
    lines = (line.removesuffix("\r") for line in text.split("\n"))
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line]
    return [n for n, _ in numbered], [line for _, line in numbered]


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path!r} ({type(error).__name__})") from None


def _failure(line: int, user_id: str, error: DomainError) -> Failure:
    row = problem_type_of(error)
    return Failure(line, user_id, row.slug if row else "internal-error", detail_of(error, _name))


def _name(field_name: Field) -> str:
    """A field in the CLI's words; the user id is a line of the input here, not an option."""
    return "user id" if field_name == Field.USER_ID else cli_name(field_name)


def _print(summary: Summary) -> None:
    print(msgspec.json.encode(summary).decode())
