"""The doctor's report: one row per check, each passed, failed (with what to do) or skipped, and
the table it prints.
"""

import enum
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

CONFIGURATION, DATABASE, MIGRATIONS, TOKENS, KDF, KMS = (
    "configuration",
    "database",
    "migrations",
    "api tokens",
    "key derivation",
    "key management",
)


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


def ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, Status.OK, detail)


def fail(name: str, detail: str, remedy: str) -> CheckResult:
    return CheckResult(name, Status.FAIL, detail, remedy)


def skip(name: str, reason: str) -> CheckResult:
    return CheckResult(name, Status.SKIP, f"skipped: {reason}", "fix the failure above first")


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
