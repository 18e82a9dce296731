"""WALLET_IDEMPOTENCY_TTL_SECONDS (issue 17): how long Idempotency-Keys are kept, a day unless
set; a value no key could be kept for is refused at start as a SettingsError naming the
variable, as every other setting is.
"""

import pytest

from entrypoints.settings import Settings, SettingsError

VARIABLE = "WALLET_IDEMPOTENCY_TTL_SECONDS"


def test_keys_are_kept_a_day_unless_set() -> None:
    assert Settings().idempotency_ttl == Settings.from_env({}).idempotency_ttl == 86400
    assert Settings.from_env({VARIABLE: " "}).idempotency_ttl == 86400


@pytest.mark.parametrize(("raw", "seconds"), [("90", 90), ("0.25", 0.25), ("604800", 604800)])
def test_the_ttl_is_read_in_seconds(raw: str, seconds: float) -> None:
    assert Settings.from_env({VARIABLE: raw}).idempotency_ttl == seconds


@pytest.mark.parametrize("raw", ["0", "-1", "a day", "nan"])
def test_a_ttl_that_is_not_a_positive_number_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match=VARIABLE):
        Settings.from_env({VARIABLE: raw})


@pytest.mark.parametrize("raw", ["inf", "1e12"])
def test_a_ttl_no_key_could_be_kept_for_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match=VARIABLE):
        Settings.from_env({VARIABLE: raw})
