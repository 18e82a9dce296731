"""Fixtures of the pkcs11 backend: Pkcs11KeyWrappers on SoftHSM2 tokens that this test run
makes (skipped when SoftHSM2 is missing, failed under CI=true). SoftHSM2 reads its
configuration once per process, so the run's tokens are all made at its first use and kept until
it ends; each wrapper gets a key label of its own, so tests never see each other's keys.
"""

import asyncio
import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, asynccontextmanager
from typing import Any

import pytest

from adapters.kms.pkcs11 import Pkcs11KeyWrapper
from harness.softhsm import SoftHsm, softhsm_module, softhsm_tokens
from tests.system.tools import required_tool

TOKEN = "wallets"
OTHER_TOKEN = "other"
FRESH_TOKEN = "fresh"
"""Logged in to by no test with the right PIN: where a wrong PIN meets the token itself."""
TIMEOUT_SECONDS = 10.0

_RUN: dict[str, SoftHsm] = {}


def softhsm(config: pytest.Config) -> SoftHsm:
    """This run's tokens, made on first use and removed when the run ends."""
    if "tokens" not in _RUN:
        module = required_tool(softhsm_module(), "softhsm2", "PKCS#11 tests")
        stack = ExitStack()
        config.add_cleanup(stack.close)
        tokens = softhsm_tokens(TOKEN, OTHER_TOKEN, FRESH_TOKEN, module_path=module)
        _RUN["tokens"] = stack.enter_context(tokens)
    return _RUN["tokens"]


def new_wrapper(
    config: pytest.Config,
    *,
    token_label: str = TOKEN,
    key_label: str | None = None,
    pin: str | None = None,
    module_path: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
    pool_size: int = 4,
) -> Pkcs11KeyWrapper:
    """A wrapper on this run's tokens, with a fresh key label unless given one."""
    hsm = softhsm(config)
    return Pkcs11KeyWrapper(
        module_path or hsm.module_path,
        token_label,
        hsm.pin if pin is None else pin,
        key_label or f"wallets-{secrets.token_hex(4)}",
        timeout,
        pool_size,
    )


@asynccontextmanager
async def pkcs11_wrapper(config: pytest.Config, **settings: Any) -> AsyncIterator[Pkcs11KeyWrapper]:
    """`new_wrapper(config, **settings)`, closed after the block."""
    wrapper = new_wrapper(config, **settings)
    try:
        yield wrapper
    finally:
        await wrapper.aclose()


def _closed_after(request: pytest.FixtureRequest, wrapper: Pkcs11KeyWrapper) -> Pkcs11KeyWrapper:
    """Close `wrapper` when the test ends, on a loop of its own: the fixtures are synchronous
    because the contract suite asks for them from inside its own async fixture's running loop.
    """

    def close() -> None:
        with ThreadPoolExecutor(1) as closer:
            closer.submit(asyncio.run, wrapper.aclose()).result()

    request.addfinalizer(close)
    return wrapper


@pytest.fixture
def pkcs11_key_wrapper(request: pytest.FixtureRequest) -> Pkcs11KeyWrapper:
    """A wrapper on the run's token with a key label of its own (no key made yet)."""
    return _closed_after(request, new_wrapper(request.config))


@pytest.fixture
def pkcs11_other_key_wrapper(request: pytest.FixtureRequest) -> Pkcs11KeyWrapper:
    """A wrapper on another token of the run (its keys are not the first token's)."""
    return _closed_after(request, new_wrapper(request.config, token_label=OTHER_TOKEN))
