"""WalletOwners: a bounded memory of the users lately seen with a wallet."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.wallet_owners import WalletOwners


def test_the_least_recently_seen_user_is_forgotten_first() -> None:
    owners = WalletOwners(2)
    owners.remember("ada")
    owners.remember("bob")
    owners.remember("ada")  # seen again: now the most recent
    owners.remember("cy")
    assert ("ada" in owners, "bob" in owners, "cy" in owners) == (True, False, True)


def test_size_zero_remembers_no_one_and_a_negative_size_is_refused() -> None:
    owners = WalletOwners(0)
    owners.remember("ada")
    assert "ada" not in owners
    with pytest.raises(ValueError, match="at least 0"):
        WalletOwners(-1)


def test_its_repr_names_no_user() -> None:
    owners = WalletOwners(5)
    owners.remember("ada@example.com")
    assert "ada" not in repr(owners)
    assert repr(owners) == "WalletOwners(size=5, known=1)"


@given(st.integers(0, 8), st.lists(st.sampled_from("abcdefghijkl"), max_size=60))
def test_it_holds_at_most_size_users_the_last_ones_seen(size: int, seen: list[str]) -> None:
    owners = WalletOwners(size)
    for user_id in seen:
        owners.remember(user_id)
    latest = list(dict.fromkeys(reversed(seen)))[:size]
    assert len(owners) == len(latest)
    assert all(user_id in owners for user_id in latest)
