"""Where the CLI gets caller keys: the environment or a prompt, never its arguments."""

import argparse
import getpass
import os
import sys

from domain.errors import Field
from domain.secrets import EncryptionKey

KEY_VARIABLE = "WALLET_ENCRYPTION_KEY"
NEW_KEY_VARIABLE = "WALLET_NEW_ENCRYPTION_KEY"
SPONSOR_KEY_VARIABLE = "WALLET_SPONSOR_ENCRYPTION_KEY"
_VARIABLES = {
    Field.ENCRYPTION_KEY: KEY_VARIABLE,
    Field.NEW_ENCRYPTION_KEY: NEW_KEY_VARIABLE,
    Field.SPONSOR_ENCRYPTION_KEY: SPONSOR_KEY_VARIABLE,
}
_OPTIONS = {
    Field.NEW_USER_ID: "--id",
    Field.TRANSACTION_XDR: "--xdr",
    Field.NETWORK_PASSPHRASE: "--network",
    Field.SIGNERS: "--signer",
    Field.SPONSOR: "--sponsor-user-id",
    Field.SPONSOR_USER_ID: "--sponsor-user-id",
    Field.SPONSOR_PUBLIC_KEY: "--sponsor-public-key",
    Field.TRUSTLINES: "--trustline",
    Field.CURRENT_SIGNERS: "--current-signer",
    Field.RECOVERY_SHARES: "the shares",
    Field.RECOVERY_PUBLIC_KEY: "WALLET_RECOVERY_PUBLIC_KEY",
}


def cli_name(field: Field) -> str:
    """The CLI's word for a field: the variable a key comes from, else its option."""
    return _VARIABLES.get(field) or _OPTIONS.get(field) or "--" + field.replace("_", "-")


def positive(text: str) -> int:
    """A whole number of at least 1, as an option's value."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class UsageError(Exception):
    """Wrong use of the command (exit 2)."""


def read_key(field: Field = Field.ENCRYPTION_KEY, prompt: str = "encryption key") -> EncryptionKey:
    """The key in the variable of `field`, else asked for on the terminal (UsageError if there
    is no terminal).
    """
    variable = _VARIABLES[field]
    text = os.environ.get(variable)
    if text is None:
        if not sys.stdin.isatty():
            raise UsageError(f"set {variable} (no terminal to prompt on)")
        text = getpass.getpass(f"{prompt}: ")
    return EncryptionKey.from_text(text, field)
