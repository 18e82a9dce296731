"""WALLET_KMS and its backends' settings: read from the environment, refused with a message that
names the variable and never its value, secrets kept out of repr."""

from pathlib import Path

import pytest

from adapters.kms.pkcs11 import Pkcs11KeyWrapper
from adapters.kms.transit import TransitKeyWrapper
from entrypoints.kms_settings import KmsSettings, Pkcs11Settings, TransitSettings
from entrypoints.settings import Settings, SettingsError

PIN = "pin-4711-never-shown"
TOKEN = "s.transit-token-never-shown"
PKCS11 = {
    "WALLET_KMS": "pkcs11",
    "WALLET_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
    "WALLET_PKCS11_TOKEN_LABEL": "wallets",
    "WALLET_PKCS11_KEY_LABEL": "wrapping",
    "WALLET_PKCS11_PIN": PIN,
}
TRANSIT = {
    "WALLET_KMS": "transit",
    "WALLET_TRANSIT_ADDR": "http://127.0.0.1:8200",
    "WALLET_TRANSIT_KEY": "wallets",
    "WALLET_TRANSIT_TOKEN": TOKEN,
}


def test_none_is_the_default_and_builds_no_backend() -> None:
    settings = Settings.from_env({})
    assert settings.kms == KmsSettings()
    assert settings.kms.key_wrapper(1.0) is None


def test_pkcs11_settings_are_read_and_build_its_backend() -> None:
    kms = Settings.from_env(PKCS11).kms
    assert kms.pkcs11 == Pkcs11Settings(
        "/usr/lib/softhsm/libsofthsm2.so", "wallets", "wrapping", PIN
    )
    assert isinstance(kms.key_wrapper(1.0), Pkcs11KeyWrapper)


def test_transit_settings_are_read_with_the_default_mount() -> None:
    kms = Settings.from_env(TRANSIT).kms
    assert kms.transit == TransitSettings("http://127.0.0.1:8200", "wallets", TOKEN, "transit")
    assert Settings.from_env({**TRANSIT, "WALLET_TRANSIT_MOUNT": "/kms/"}).kms.transit == (
        TransitSettings("http://127.0.0.1:8200", "wallets", TOKEN, "kms")
    )
    assert isinstance(kms.key_wrapper(1.0), TransitKeyWrapper)


@pytest.mark.parametrize("environ", [PKCS11, TRANSIT], ids=["pkcs11", "transit"])
def test_secrets_are_kept_out_of_repr(environ: dict[str, str]) -> None:
    settings = Settings.from_env(environ)
    for shown in (repr(settings), str(settings), repr(settings.kms)):
        assert PIN not in shown
        assert TOKEN not in shown


@pytest.mark.parametrize("secret", ["WALLET_PKCS11_PIN", "WALLET_TRANSIT_TOKEN"])
def test_a_secret_can_come_from_a_file(secret: str, tmp_path: Path) -> None:
    environ = dict(PKCS11 if "PKCS11" in secret else TRANSIT)
    value = environ.pop(secret)
    path = tmp_path / "secret"
    path.write_text(f"{value}\nignored second line\n", encoding="utf-8")
    kms = Settings.from_env({**environ, f"{secret}_FILE": str(path)}).kms
    assert (kms.pkcs11.pin if kms.pkcs11 else kms.transit.token if kms.transit else "") == value


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"WALLET_KMS": "aws"}, "WALLET_KMS must be one of none, pkcs11, transit"),
        ({**PKCS11, "WALLET_PKCS11_MODULE": " "}, "WALLET_PKCS11_MODULE is required"),
        ({**PKCS11, "WALLET_PKCS11_PIN": ""}, "WALLET_PKCS11_PIN or WALLET_PKCS11_PIN_FILE"),
        ({**PKCS11, "WALLET_PKCS11_PIN_FILE": "/nonexistent/pin"}, "set WALLET_PKCS11_PIN or"),
        (
            {
                **{k: v for k, v in PKCS11.items() if k != "WALLET_PKCS11_PIN"},
                "WALLET_PKCS11_PIN_FILE": "/nonexistent/pin",
            },
            "WALLET_PKCS11_PIN_FILE names no readable, non-empty file",
        ),
        ({**TRANSIT, "WALLET_TRANSIT_KEY": ""}, "WALLET_TRANSIT_KEY is required"),
        ({**TRANSIT, "WALLET_TRANSIT_TOKEN": ""}, "WALLET_TRANSIT_TOKEN or"),
    ],
)
def test_bad_settings_name_the_variable_never_a_secret(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(environ)
    assert named in str(refused.value)
    assert PIN not in str(refused.value)
    assert TOKEN not in str(refused.value)
