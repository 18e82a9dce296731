"""The KeyWrapper contract, on every backend: in memory, a PKCS#11 token (SoftHSM2) and a
Vault-compatible transit engine (OpenBao's dev server). The real backends' fixtures live in
tests/kms_pkcs11.py and tests/kms_transit.py (skipped locally when the backend is missing,
failed under CI=true).
"""

import os
from dataclasses import replace

import pytest

from adapters.kms.base import KEY_REF, MAX_WRAPPED_BYTES, KeyWrapper, WrappedShare
from adapters.kms.memory import InMemoryKeyWrapper
from domain.errors import EnvelopeTampered, KmsKeyMismatch
from tests.kms_pkcs11 import pkcs11_key_wrapper, pkcs11_other_key_wrapper  # noqa: F401
from tests.kms_transit import transit_key_wrapper, transit_other_key_wrapper  # noqa: F401

CONTEXT = b"\x00\x00\x00\x03wo2\x00\x00\x00\x03ada\x00\x00\x00\x04GABC"


@pytest.fixture
def memory_key_wrapper() -> KeyWrapper:
    return InMemoryKeyWrapper()


@pytest.fixture
def memory_other_key_wrapper() -> KeyWrapper:
    return InMemoryKeyWrapper()


@pytest.fixture(params=["memory", "pkcs11", "transit"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def wrapper(backend: str, request: pytest.FixtureRequest) -> KeyWrapper:
    key_wrapper: KeyWrapper = request.getfixturevalue(f"{backend}_key_wrapper")
    await key_wrapper.ensure_key()
    return key_wrapper


@pytest.fixture
async def other_wrapper(backend: str, request: pytest.FixtureRequest) -> KeyWrapper:
    """The same kind of backend with a wrapping key of its own (another token, another key)."""
    key_wrapper: KeyWrapper = request.getfixturevalue(f"{backend}_other_key_wrapper")
    await key_wrapper.ensure_key()
    return key_wrapper


def _share() -> bytes:
    return os.urandom(32)


async def test_a_wrapped_share_unwraps_to_itself(wrapper: KeyWrapper) -> None:
    share = _share()
    wrapped = await wrapper.wrap(share, CONTEXT)
    assert wrapped.backend == wrapper.name
    assert KEY_REF.fullmatch(wrapped.key_ref)
    assert 0 < len(wrapped.wrapped) <= MAX_WRAPPED_BYTES
    assert share not in wrapped.wrapped
    assert await wrapper.unwrap(wrapped, CONTEXT) == share


async def test_wrapping_twice_gives_different_bytes(wrapper: KeyWrapper) -> None:
    share = _share()
    first, second = await wrapper.wrap(share, CONTEXT), await wrapper.wrap(share, CONTEXT)
    assert first.wrapped != second.wrapped
    assert first.key_ref == second.key_ref


async def test_another_context_does_not_unwrap(wrapper: KeyWrapper) -> None:
    wrapped = await wrapper.wrap(_share(), CONTEXT)
    with pytest.raises(EnvelopeTampered):
        await wrapper.unwrap(wrapped, CONTEXT.replace(b"ada", b"bob"))


@pytest.mark.parametrize("position", [0, 13, -1])
async def test_altered_bytes_do_not_unwrap(wrapper: KeyWrapper, position: int) -> None:
    wrapped = await wrapper.wrap(_share(), CONTEXT)
    altered = bytearray(wrapped.wrapped)
    altered[position] ^= 0x01
    with pytest.raises(EnvelopeTampered):
        await wrapper.unwrap(replace(wrapped, wrapped=bytes(altered)), CONTEXT)


async def test_a_share_of_another_key_is_a_key_mismatch_not_tampering(
    wrapper: KeyWrapper, other_wrapper: KeyWrapper
) -> None:
    foreign = await other_wrapper.wrap(_share(), CONTEXT)
    with pytest.raises(KmsKeyMismatch) as raised:
        await wrapper.unwrap(foreign, CONTEXT)
    assert raised.value.backend == wrapper.name


async def test_a_share_of_another_backend_is_a_key_mismatch(wrapper: KeyWrapper) -> None:
    other_backend = "memory" if wrapper.name != "memory" else "transit"
    foreign = WrappedShare(other_backend, "v1", b"\x00" * 60)
    with pytest.raises(KmsKeyMismatch):
        await wrapper.unwrap(foreign, CONTEXT)


async def test_after_rotation_old_shares_unwrap_and_rewrap_to_the_newest_version(
    wrapper: KeyWrapper,
) -> None:
    share = _share()
    old = await wrapper.wrap(share, CONTEXT)
    newest = await wrapper.rotate_key()
    assert newest != old.key_ref
    assert KEY_REF.fullmatch(newest)
    assert await wrapper.unwrap(old, CONTEXT) == share
    rewrapped = await wrapper.rewrap(old, CONTEXT)
    assert rewrapped is not None
    assert rewrapped.key_ref == newest
    assert await wrapper.unwrap(rewrapped, CONTEXT) == share
    assert await wrapper.rewrap(rewrapped, CONTEXT) is None
    assert (await wrapper.wrap(share, CONTEXT)).key_ref == newest


async def test_rewrap_keeps_the_context(wrapper: KeyWrapper) -> None:
    old = await wrapper.wrap(_share(), CONTEXT)
    await wrapper.rotate_key()
    rewrapped = await wrapper.rewrap(old, CONTEXT)
    assert rewrapped is not None
    with pytest.raises(EnvelopeTampered):
        await wrapper.unwrap(rewrapped, CONTEXT.replace(b"ada", b"bob"))


async def test_ensure_key_is_idempotent(wrapper: KeyWrapper) -> None:
    assert await wrapper.ensure_key() is False


async def test_the_doctor_checks_pass_on_a_ready_backend(wrapper: KeyWrapper) -> None:
    checks = await wrapper.check()
    assert checks
    assert all(check.ok for check in checks), checks
