"""Where the CLI gets caller keys: the environment or a prompt, never its arguments."""

import getpass
import os
import sys

from domain.secrets import EncryptionKey

KEY_VARIABLE = "WALLET_ENCRYPTION_KEY"
NEW_KEY_VARIABLE = "WALLET_NEW_ENCRYPTION_KEY"


class UsageError(Exception):
    """Wrong use of the command (exit 2)."""


def read_key(variable: str = KEY_VARIABLE, prompt: str = "encryption key") -> EncryptionKey:
    """The key in `variable`, else asked for on the terminal (UsageError if there is none)."""
    text = os.environ.get(variable)
    if text is None:
        if not sys.stdin.isatty():
            raise UsageError(f"set {variable} (no terminal to prompt on)")
        text = getpass.getpass(f"{prompt}: ")
    return EncryptionKey.from_text(text)
