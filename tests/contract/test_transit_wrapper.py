"""What only the transit backend has: a token to keep secret, a server that can stop, hang or
seal, policies that refuse, key versions an operator revokes, keys deleted and made again.
The contract every backend shares is in test_key_wrapper_contract.py.
"""

import asyncio
import logging
import os
import time
import traceback
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from adapters.kms.base import WrappedShare
from adapters.kms.transit import KEY_TYPE, TransitKeyWrapper
from domain.errors import EnvelopeTampered, KmsKeyMismatch, KmsRefused, KmsUnavailable
from harness.openbao import OpenBaoServer, openbao
from harness.servers import free_port
from tests.kms_transit import (
    created_key,
    require_bao,
    shared_server,
    transit_wrapper,
)

CONTEXT = b"\x00\x00\x00\x03wo2\x00\x00\x00\x03ada\x00\x00\x00\x04GABC"
FAULT_TIMEOUT_SECONDS = 1.5
T = TypeVar("T")


@pytest.fixture
def server(request: pytest.FixtureRequest) -> OpenBaoServer:
    """The session's server, shared by the tests that leave it as they found it."""
    return shared_server(request.config)


@pytest.fixture
def own_server() -> Iterator[OpenBaoServer]:
    """A server of this test's own, to stop, pause or seal."""
    require_bao()
    with openbao() as server:
        yield server


# Async fixtures here (unlike tests/kms_transit.py's): torn down on the test's own event loop,
# whatever order pytest-asyncio sets its loop up in.
@pytest.fixture
async def fault_wrapper(own_server: OpenBaoServer) -> AsyncIterator[TransitKeyWrapper]:
    wrapper = transit_wrapper(own_server, created_key(own_server), timeout=FAULT_TIMEOUT_SECONDS)
    yield wrapper
    await wrapper.aclose()


@pytest.fixture
async def key_wrapper(server: OpenBaoServer) -> AsyncIterator[TransitKeyWrapper]:
    wrapper = transit_wrapper(server, created_key(server))
    yield wrapper
    await wrapper.aclose()


def _share() -> bytes:
    return os.urandom(32)


def _told(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error.args)


async def test_the_token_shows_nowhere(
    server: OpenBaoServer, caplog: pytest.LogCaptureFixture
) -> None:
    token = server.root_token
    caplog.set_level(logging.DEBUG)
    wrapper = transit_wrapper(server, created_key(server))
    missing = transit_wrapper(server, "never-made")
    unreachable = TransitKeyWrapper(f"http://127.0.0.1:{free_port()}", token, "wallets", 1.0)
    wrapped = await wrapper.wrap(_share(), CONTEXT)
    errors: list[BaseException] = []
    for attempt in (
        wrapper.unwrap(wrapped, CONTEXT + b"!"),
        missing.wrap(_share(), CONTEXT),
        unreachable.unwrap(wrapped, CONTEXT),
        wrapper.unwrap(WrappedShare("transit", "v1-000000000000", wrapped.wrapped), CONTEXT),
    ):
        with pytest.raises((EnvelopeTampered, KmsRefused, KmsUnavailable, KmsKeyMismatch)) as e:
            await attempt
        errors.append(e.value)
    reports = [await each.check() for each in (wrapper, missing, unreachable)]
    for each in (wrapper, missing, unreachable):
        assert token not in repr(each)
        assert token not in str(each)
        await each.aclose()
    assert [type(error) for error in errors] == [
        EnvelopeTampered,
        KmsRefused,
        KmsUnavailable,
        KmsKeyMismatch,
    ]
    assert all(token not in _told(error) for error in errors)
    assert token not in repr(reports)
    assert any(record.name.startswith("http") for record in caplog.records)
    assert token not in caplog.text


async def test_a_stopped_server_is_unavailable_then_the_same_wrapper_recovers(
    own_server: OpenBaoServer, fault_wrapper: TransitKeyWrapper
) -> None:
    share = _share()
    wrapped = await fault_wrapper.wrap(share, CONTEXT)
    outcomes: list[str] = []
    done = asyncio.Event()

    async def load() -> None:
        while not done.is_set():
            try:
                assert await fault_wrapper.unwrap(wrapped, CONTEXT) == share
                outcomes.append("ok")
            except KmsUnavailable as error:
                outcomes.append(error.cause)
                await asyncio.sleep(0.01)

    workers = [asyncio.create_task(load()) for _ in range(20)]
    await asyncio.sleep(0.3)
    await asyncio.to_thread(own_server.kill)
    started = time.monotonic()
    with pytest.raises(KmsUnavailable):
        await fault_wrapper.unwrap(wrapped, CONTEXT)
    assert time.monotonic() - started < FAULT_TIMEOUT_SECONDS + 0.5
    await asyncio.to_thread(own_server.start)
    restarted = len(outcomes)
    await asyncio.sleep(0.3)
    done.set()
    await asyncio.gather(*workers)
    assert "ok" in outcomes[:restarted]
    assert set(outcomes[:restarted]) - {"ok"}, "the load saw no failure while stopped"
    assert "ok" in outcomes[restarted:]
    assert await fault_wrapper.unwrap(wrapped, CONTEXT) == share
    assert await fault_wrapper.unwrap(await fault_wrapper.wrap(share, CONTEXT), CONTEXT) == share


async def test_a_hung_server_is_unavailable_within_the_timeout(
    own_server: OpenBaoServer, fault_wrapper: TransitKeyWrapper
) -> None:
    share = _share()
    wrapped = await fault_wrapper.wrap(share, CONTEXT)
    own_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(KmsUnavailable) as raised:
            await fault_wrapper.unwrap(wrapped, CONTEXT)
        elapsed = time.monotonic() - started
    finally:
        own_server.resume()
    assert raised.value.cause == "timeout"
    assert FAULT_TIMEOUT_SECONDS - 0.1 < elapsed < FAULT_TIMEOUT_SECONDS + 0.5
    assert await fault_wrapper.unwrap(wrapped, CONTEXT) == share


async def test_a_sealed_server_is_unavailable_and_the_doctor_says_unseal(
    own_server: OpenBaoServer, fault_wrapper: TransitKeyWrapper
) -> None:
    share = _share()
    wrapped = await fault_wrapper.wrap(share, CONTEXT)
    own_server.seal()
    for attempt in (fault_wrapper.unwrap(wrapped, CONTEXT), fault_wrapper.wrap(share, CONTEXT)):
        with pytest.raises(KmsUnavailable) as raised:
            await attempt
        assert raised.value.cause == "sealed"
    checks = await fault_wrapper.check()
    assert not checks[-1].ok
    assert "unseal" in checks[-1].detail
    own_server.unseal()
    assert await fault_wrapper.unwrap(wrapped, CONTEXT) == share
    assert all(check.ok for check in await fault_wrapper.check())


async def test_a_token_without_permission_is_refused(
    server: OpenBaoServer, key_wrapper: TransitKeyWrapper
) -> None:
    wrapped = await key_wrapper.wrap(_share(), CONTEXT)
    key_name = key_wrapper.key_label
    read_only = f'path "{server.mount}/keys/{key_name}" {{ capabilities = ["read"] }}'
    token = server.token_with_policy(f"read-{key_name}", read_only)
    limited = transit_wrapper(server, key_name, token=token)
    for attempt in (limited.wrap(_share(), CONTEXT), limited.unwrap(wrapped, CONTEXT)):
        with pytest.raises(KmsRefused) as raised:
            await attempt
        assert "permission denied" in raised.value.reason
    checks = await limited.check()
    assert not checks[-1].ok
    await limited.aclose()


async def test_the_wallet_policy_is_enough_and_cannot_make_a_missing_key(
    server: OpenBaoServer,
) -> None:
    key_name = created_key(server)
    wrapper = transit_wrapper(server, key_name, server.wallet_token(key_name))
    share = _share()
    old = await wrapper.wrap(share, CONTEXT)
    await wrapper.rotate_key()
    rewrapped = await wrapper.rewrap(old, CONTEXT)
    assert rewrapped is not None
    assert await wrapper.unwrap(rewrapped, CONTEXT) == share
    assert all(check.ok for check in await wrapper.check())
    server.delete_key(key_name)
    with pytest.raises(KmsRefused):
        await wrapper.wrap(share, CONTEXT)
    await wrapper.aclose()


async def test_a_missing_key_is_refused_naming_kms_init(
    server: OpenBaoServer, key_wrapper: TransitKeyWrapper
) -> None:
    wrapped = await key_wrapper.wrap(_share(), CONTEXT)
    missing = transit_wrapper(server, "never-made-" + key_wrapper.key_label)
    for attempt in (
        missing.wrap(_share(), CONTEXT),
        missing.unwrap(wrapped, CONTEXT),
        missing.rewrap(wrapped, CONTEXT),
        missing.rotate_key(),
    ):
        with pytest.raises(KmsRefused) as raised:
            await attempt
        assert "wallet-orchestrator kms init" in str(raised.value)
    checks = await missing.check()
    assert not checks[-1].ok
    assert "kms init" in checks[-1].detail
    await missing.aclose()


async def test_a_key_deleted_under_a_running_wrapper_is_not_made_again_by_wrap(
    server: OpenBaoServer, key_wrapper: TransitKeyWrapper
) -> None:
    await key_wrapper.wrap(_share(), CONTEXT)
    server.delete_key(key_wrapper.key_label)
    with pytest.raises(KmsRefused):
        await key_wrapper.wrap(_share(), CONTEXT)
    with pytest.raises(httpx.HTTPStatusError):
        server.request("GET", f"transit/keys/{key_wrapper.key_label}")


async def test_a_version_below_min_decryption_version_is_refused_as_revoked(
    server: OpenBaoServer, key_wrapper: TransitKeyWrapper
) -> None:
    old_share, new_share = _share(), _share()
    old = await key_wrapper.wrap(old_share, CONTEXT)
    await key_wrapper.rotate_key()
    new = await key_wrapper.wrap(new_share, CONTEXT)
    server.configure_key(key_wrapper.key_label, min_decryption_version=2)
    fresh = transit_wrapper(server, key_wrapper.key_label)
    for each in (key_wrapper, fresh):  # a cached key state, and none
        for attempt in (each.unwrap(old, CONTEXT), each.rewrap(old, CONTEXT)):
            with pytest.raises(KmsRefused) as raised:
                await attempt
            assert "revoked" in raised.value.reason
        assert await each.unwrap(new, CONTEXT) == new_share
    await fresh.aclose()


async def test_a_key_made_again_under_the_same_name_is_a_key_mismatch(
    server: OpenBaoServer, key_wrapper: TransitKeyWrapper
) -> None:
    old = await key_wrapper.wrap(_share(), CONTEXT)
    server.delete_key(key_wrapper.key_label)
    assert await key_wrapper.ensure_key() is True
    share = _share()
    new = await key_wrapper.wrap(share, CONTEXT)
    assert new.key_ref.startswith("v1-")
    assert new.key_ref != old.key_ref
    fresh = transit_wrapper(server, key_wrapper.key_label)
    for each in (key_wrapper, fresh):
        with pytest.raises(KmsKeyMismatch):
            await each.unwrap(old, CONTEXT)
        assert await each.unwrap(new, CONTEXT) == share
    await fresh.aclose()


async def test_a_key_that_would_not_authenticate_the_binding_is_refused(
    server: OpenBaoServer,
) -> None:
    key_name = f"plain-{os.urandom(4).hex()}"
    body = {"type": KEY_TYPE, "derived": False}
    server.request("POST", f"{server.mount}/keys/{key_name}", body)
    wrapper = transit_wrapper(server, key_name)
    for attempt in (wrapper.ensure_key(), wrapper.wrap(_share(), CONTEXT)):
        with pytest.raises(KmsRefused) as raised:
            await attempt
        assert "derived" in raised.value.reason
    await wrapper.aclose()


async def test_two_hundred_concurrent_wraps_and_unwraps(
    key_wrapper: TransitKeyWrapper,
) -> None:
    shares = [_share() for _ in range(200)]
    wrapped = await asyncio.gather(*(key_wrapper.wrap(s, CONTEXT) for s in shares))
    unwrapped = await asyncio.gather(*(key_wrapper.unwrap(w, CONTEXT) for w in wrapped))
    assert unwrapped == shares


def test_the_wrapper_follows_the_running_event_loop(server: OpenBaoServer) -> None:
    """A client is bound to the loop that made it: each loop gets its own (closed there)."""
    wrapper = transit_wrapper(server, created_key(server))
    share = _share()

    async def closing_after(step: Coroutine[Any, Any, T]) -> T:
        try:
            return await step
        finally:
            await wrapper.aclose()

    wrapped = asyncio.run(closing_after(wrapper.wrap(share, CONTEXT)))
    assert asyncio.run(closing_after(wrapper.unwrap(wrapped, CONTEXT))) == share
