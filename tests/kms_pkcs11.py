"""Fixtures of the pkcs11 backend (to be written)."""

import pytest


@pytest.fixture
def pkcs11_key_wrapper() -> None:
    pytest.skip("the pkcs11 backend is not written yet")


@pytest.fixture
def pkcs11_other_key_wrapper() -> None:
    pytest.skip("the pkcs11 backend is not written yet")
