"""What the pkcs11 backend promises beyond the KeyWrapper contract, on SoftHSM2 tokens: the PIN
stays secret, operators' mistakes are refusals that say how to fix them, the key never leaves
the token, the session pool is bounded by the deadline, and forked workers keep working.
"""

import asyncio
import logging
import multiprocessing
import os
import threading
import time
import traceback
from dataclasses import replace
from typing import Any

import pytest
from pkcs11 import Attribute, KeyType
from pkcs11 import exceptions as p11

from adapters.kms.base import WrappedShare
from adapters.kms.pkcs11 import KEY_REF, Pkcs11KeyWrapper
from domain.errors import EnvelopeTampered, KmsKeyMismatch, KmsRefused, KmsUnavailable
from tests.kms_pkcs11 import (
    FRESH_TOKEN,
    pkcs11_key_wrapper,  # noqa: F401 - found by name, below
    pkcs11_wrapper,
    softhsm,
)

CONTEXT = b"\x00\x00\x00\x03wo2\x00\x00\x00\x03ada\x00\x00\x00\x04GABC"


@pytest.fixture
def fresh(request: pytest.FixtureRequest) -> Pkcs11KeyWrapper:
    """A wrapper on the run's token whose key label has no key yet."""
    wrapper: Pkcs11KeyWrapper = request.getfixturevalue("pkcs11_key_wrapper")
    return wrapper


@pytest.fixture
async def ready(fresh: Pkcs11KeyWrapper) -> Pkcs11KeyWrapper:
    """A wrapper with a key (after `kms init`)."""
    await fresh.ensure_key()
    return fresh


def _share() -> bytes:
    return os.urandom(32)


def _texts(error: BaseException) -> str:
    return f"{error} {error!r} {vars(error)}"


async def test_the_pin_appears_in_no_repr_error_or_log(
    ready: Pkcs11KeyWrapper, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pin = softhsm(request.config).pin
    wrong_pin = "wrong-" + pin[::-1]
    seen = [repr(ready), str(ready)]
    for token in (ready.token_label, FRESH_TOKEN):
        async with pkcs11_wrapper(request.config, token_label=token, pin=wrong_pin) as wrong:
            seen += [repr(wrong), str(wrong)]
            with pytest.raises(KmsRefused) as refused:
                await wrong.wrap(_share(), CONTEXT)
            seen += [_texts(refused.value), *(check.detail for check in await wrong.check())]
    async with pkcs11_wrapper(request.config, pool_size=1, timeout=0.2) as slow:
        await slow.ensure_key()
        release = threading.Event()
        holder = asyncio.create_task(slow._sessions.run(lambda _, __: release.wait(5)))
        await asyncio.sleep(0.05)
        with pytest.raises(KmsUnavailable) as unavailable:
            await slow.wrap(_share(), CONTEXT)
        release.set()
        with pytest.raises(KmsUnavailable):
            await holder
        seen += [_texts(unavailable.value), *(check.detail for check in await ready.check())]
    assert caplog.records, "the timeouts were logged"
    for text in [*seen, caplog.text]:
        assert pin not in text
        assert wrong_pin not in text


async def test_a_wrong_pin_is_refused_and_not_offered_again(
    request: pytest.FixtureRequest,
) -> None:
    async with pkcs11_wrapper(request.config, token_label=FRESH_TOKEN, pin="0000") as wrong:
        with pytest.raises(KmsRefused, match="refused the user PIN"):
            await wrong.ensure_key()
        with pytest.raises(KmsRefused, match="refused the user PIN"):
            await wrong.wrap(_share(), CONTEXT)
        assert wrong._sessions.process is not None
        assert not wrong._sessions.process.sessions


async def test_a_pin_other_than_the_one_this_process_logged_in_with_is_refused(
    ready: Pkcs11KeyWrapper, request: pytest.FixtureRequest
) -> None:
    await ready.wrap(_share(), CONTEXT)  # this process is logged in to the token
    async with pkcs11_wrapper(request.config, pin="0000", key_label=ready.key_label) as wrong:
        with pytest.raises(KmsRefused, match="under another PIN"):
            await wrong.wrap(_share(), CONTEXT)


async def test_before_kms_init_wrapping_is_refused_and_the_doctor_says_what_to_run(
    fresh: Pkcs11KeyWrapper,
) -> None:
    with pytest.raises(KmsRefused, match="run `wallet-orchestrator kms init`") as refused:
        await fresh.wrap(_share(), CONTEXT)
    assert refused.value.key_label == fresh.key_label
    checks = await fresh.check()
    assert [check.ok for check in checks] == [True, True, False, False]
    assert "wallet-orchestrator kms init" in checks[2].detail


@pytest.mark.parametrize(
    ("settings", "hint"),
    [
        ({"module_path": "/nonexistent/libpkcs11.so"}, "apt-get install softhsm2"),
        ({"token_label": "no-such-token"}, "softhsm2-util --init-token"),
    ],
)
async def test_a_missing_module_or_token_is_refused_and_the_doctor_says_how_to_fix_it(
    request: pytest.FixtureRequest, settings: dict[str, Any], hint: str
) -> None:
    async with pkcs11_wrapper(request.config, **settings) as wrapper:
        with pytest.raises(KmsRefused, match=hint):
            await wrapper.ensure_key()
        checks = await wrapper.check()
    failed = next(check for check in checks if not check.ok)
    assert hint in failed.detail
    assert not any(check.ok for check in checks[checks.index(failed) :])


async def test_the_key_is_made_in_the_token_sensitive_and_not_extractable(
    ready: Pkcs11KeyWrapper,
) -> None:
    key_ref = (await ready.wrap(_share(), CONTEXT)).key_ref
    assert KEY_REF.fullmatch(key_ref)
    assert key_ref.startswith("00000001")

    def attributes(process: Any, held: Any) -> dict[Attribute, Any]:
        key = ready._key(process, held, key_ref)
        with pytest.raises(p11.AttributeSensitive):
            key[Attribute.VALUE]
        names = [Attribute.TOKEN, Attribute.PRIVATE, Attribute.SENSITIVE, Attribute.EXTRACTABLE]
        names += [Attribute.ALWAYS_SENSITIVE, Attribute.NEVER_EXTRACTABLE, Attribute.KEY_TYPE]
        names += [Attribute.VALUE_LEN, Attribute.ENCRYPT, Attribute.DECRYPT, Attribute.WRAP]
        names += [Attribute.SIGN, Attribute.LABEL, Attribute.ID]
        return {name: key[name] for name in names}

    values = await ready._sessions.run(attributes)
    assert values[Attribute.TOKEN]
    assert values[Attribute.PRIVATE]
    assert values[Attribute.SENSITIVE]
    assert values[Attribute.ALWAYS_SENSITIVE]
    assert not values[Attribute.EXTRACTABLE]
    assert values[Attribute.NEVER_EXTRACTABLE]
    assert (values[Attribute.KEY_TYPE], values[Attribute.VALUE_LEN]) == (KeyType.AES, 32)
    assert values[Attribute.ENCRYPT]
    assert values[Attribute.DECRYPT]
    assert not values[Attribute.WRAP]
    assert not values[Attribute.SIGN]
    assert (values[Attribute.LABEL], values[Attribute.ID].hex()) == (ready.key_label, key_ref)


async def test_a_call_waiting_for_the_only_session_gives_up_at_the_deadline(
    request: pytest.FixtureRequest,
) -> None:
    async with pkcs11_wrapper(request.config, pool_size=1, timeout=0.5) as wrapper:
        await wrapper.ensure_key()
        release = threading.Event()
        holder = asyncio.create_task(wrapper._sessions.run(lambda _, __: release.wait(5)))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(KmsUnavailable) as raised:
            await wrapper.wrap(_share(), CONTEXT)
        waited = time.monotonic() - started
        release.set()
        with pytest.raises(KmsUnavailable):
            await holder
        assert 0.4 <= waited < 1.5
        assert raised.value.cause == "TimeoutError"
        share = _share()
        assert await wrapper.unwrap(await wrapper.wrap(share, CONTEXT), CONTEXT) == share


async def test_many_concurrent_calls_share_a_small_pool(request: pytest.FixtureRequest) -> None:
    async with pkcs11_wrapper(request.config, pool_size=4) as wrapper:
        await wrapper.ensure_key()

        async def round_trip() -> bool:
            share = _share()
            return await wrapper.unwrap(await wrapper.wrap(share, CONTEXT), CONTEXT) == share

        assert all(await asyncio.gather(*(round_trip() for _ in range(200))))
        assert wrapper._sessions.process is not None
        assert 1 <= len(wrapper._sessions.process.sessions) <= 4


def _in_forked_child(wrapper: Pkcs11KeyWrapper, before: WrappedShare, share: bytes) -> None:
    """Exit 0 when the parent's wrapper, used before the fork, still works in this child."""
    failures: list[str] = []

    async def work() -> None:
        assert await wrapper.unwrap(before, CONTEXT) == share
        after = await wrapper.wrap(share, CONTEXT)
        assert await wrapper.unwrap(after, CONTEXT) == share
        await wrapper.aclose()

    def run() -> None:  # a thread of its own: the fork copied the parent's running loop
        try:
            asyncio.run(work())
        except BaseException:  # noqa: BLE001 - reported through the exit status
            failures.append(traceback.format_exc())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise SystemExit(failures[0])


async def test_a_forked_child_wraps_and_unwraps_with_the_parents_wrapper(
    ready: Pkcs11KeyWrapper,
) -> None:
    share = _share()
    before = await ready.wrap(share, CONTEXT)
    child = multiprocessing.get_context("fork").Process(
        target=_in_forked_child, args=(ready, before, share)
    )
    child.start()
    await asyncio.to_thread(child.join, 60)
    assert child.exitcode == 0
    assert await ready.unwrap(before, CONTEXT) == share  # the parent's sessions are intact
    assert await ready.unwrap(await ready.wrap(share, CONTEXT), CONTEXT) == share


async def test_keys_of_another_label_are_not_used(
    ready: Pkcs11KeyWrapper, request: pytest.FixtureRequest
) -> None:
    async with pkcs11_wrapper(request.config, token_label=ready.token_label) as neighbour:
        await neighbour.ensure_key()
        await neighbour.rotate_key()
        third = await neighbour.rotate_key()
        assert third.startswith("00000003")
        wrapped = await ready.wrap(_share(), CONTEXT)
        assert wrapped.key_ref.startswith("00000001")
        foreign = await neighbour.wrap(_share(), CONTEXT)
        with pytest.raises(KmsKeyMismatch):
            await ready.unwrap(foreign, CONTEXT)


async def test_of_two_keys_of_one_version_every_process_picks_the_same(
    fresh: Pkcs11KeyWrapper,
) -> None:
    """Two processes that ran `kms init` at once made two version-1 keys: both unwrap, the one
    with the smallest id wraps.
    """
    wrapper = fresh

    def make_version_1(process: Any, held: Any) -> list[str]:
        wrapper._generate(process, held, 1)
        wrapper._generate(process, held, 1)
        wrapper._refresh(process, held)
        return sorted(held.keys)

    ids = await wrapper._sessions.run(make_version_1)
    assert len(ids) == 2
    assert all(key_ref.startswith("00000001") for key_ref in ids)
    assert await wrapper.ensure_key() is False
    assert (await wrapper.wrap(_share(), CONTEXT)).key_ref == ids[0]


async def test_another_worker_s_rotation_is_seen_when_its_shares_arrive(
    ready: Pkcs11KeyWrapper, request: pytest.FixtureRequest
) -> None:
    async with pkcs11_wrapper(request.config, key_label=ready.key_label) as other_worker:
        share = _share()
        assert (await other_worker.wrap(share, CONTEXT)).key_ref.startswith("00000001")
        newest = await ready.rotate_key()
        wrapped = await ready.wrap(share, CONTEXT)
        assert wrapped.key_ref == newest
        assert await other_worker.unwrap(wrapped, CONTEXT) == share
        assert await other_worker.rewrap(wrapped, CONTEXT) is None


async def test_malformed_shares_are_a_mismatch_or_tampering(ready: Pkcs11KeyWrapper) -> None:
    wrapped = await ready.wrap(_share(), CONTEXT)
    with pytest.raises(KmsKeyMismatch):
        await ready.unwrap(replace(wrapped, key_ref="v1"), CONTEXT)
    with pytest.raises(KmsKeyMismatch):
        await ready.unwrap(replace(wrapped, key_ref="00000001" + "0" * 16), CONTEXT)
    for damaged in (wrapped.wrapped[:-1], wrapped.wrapped + b"\x00", b""):
        with pytest.raises(EnvelopeTampered):
            await ready.unwrap(replace(wrapped, wrapped=damaged), CONTEXT)
