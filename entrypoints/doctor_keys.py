"""The doctor's checks of what seals wallets: the caller key's stretching (Argon2id, timed at the
configured cost) and the key-management backend, if one is configured.
"""

import asyncio
import os
import time

from adapters.crypto.envelope import SALT_BYTES, KdfParams
from adapters.crypto.key_cache import stretch
from adapters.kms.base import BackendCheck
from entrypoints.doctor_report import KDF, KMS, CheckResult, fail, ok
from entrypoints.settings import Settings

MAX_DERIVATION_SECONDS = 1.0
OWASP_ARGON2ID = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
"""OWASP's minimum Argon2id configurations (memory KiB, passes), equally strong, one lane."""


def check_key_derivation(
    kdf: KdfParams, limit_seconds: float = MAX_DERIVATION_SECONDS
) -> CheckResult:
    """Time one Argon2id derivation at the configured cost; fail when it is too slow or too weak."""
    params = f"m={kdf.memory_kib} KiB, t={kdf.iterations}"
    started = time.perf_counter()
    try:
        stretch(os.urandom(32), os.urandom(SALT_BYTES), kdf)
    except Exception as error:  # noqa: BLE001 - e.g. more memory than the host can give
        return fail(
            KDF,
            f"{params}: Argon2id failed ({type(error).__name__})",
            "lower WALLET_KDF_MEMORY_KIB to what this host can give each derivation",
        )
    elapsed = time.perf_counter() - started
    findings, remedies = [f"{params}: one derivation took {elapsed * 1000:.0f} ms"], []
    weak = not any(
        kdf.memory_kib >= memory and kdf.iterations >= passes for memory, passes in OWASP_ARGON2ID
    )
    if weak:
        findings.append(
            "below OWASP's minimum (m=19456 KiB, t=2, or an equivalent pair), which weakens "
            "every envelope sealed from now on"
        )
        remedies.append(
            "set WALLET_KDF_MEMORY_KIB=19456 and WALLET_KDF_ITERATIONS=2 (the defaults)"
        )
    if elapsed > limit_seconds:
        findings.append(
            f"over {limit_seconds:g} s: every request with a key not cached yet waits that long"
        )
        remedies.append(
            "lower WALLET_KDF_MEMORY_KIB or WALLET_KDF_ITERATIONS (not below OWASP's minimum), "
            "or give the service more CPU"
        )
    if remedies:
        return fail(KDF, "; ".join(findings), "; ".join(remedies))
    return ok(KDF, findings[0])


def check_key_management(settings: Settings) -> list[CheckResult]:
    """The backend's own checks (reachable, key present, a wrap/unwrap round trip), each with
    how to fix it; nothing is created (`kms init` does that).
    """
    wrapper = settings.kms.key_wrapper(settings.db_timeout)
    if wrapper is None:
        return [
            ok(
                KMS,
                "none (WALLET_KMS): envelopes v1; the database and the caller's key together "
                "open a wallet (README.md, With an HSM or a KMS)",
            )
        ]

    async def checked() -> list[BackendCheck]:
        try:
            return await wrapper.check()
        finally:
            await wrapper.aclose()

    return [
        ok(f"{KMS}: {check.name}", check.detail)
        if check.ok
        else fail(f"{KMS}: {check.name}", f"{wrapper.name} key {wrapper.key_label!r}", check.detail)
        for check in asyncio.run(checked())
    ]
