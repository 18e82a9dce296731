"""Fixtures of the transit backend (to be written)."""

import pytest


@pytest.fixture
def transit_key_wrapper() -> None:
    pytest.skip("the transit backend is not written yet")


@pytest.fixture
def transit_other_key_wrapper() -> None:
    pytest.skip("the transit backend is not written yet")
