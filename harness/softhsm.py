"""SoftHSM2 tokens in a temporary directory, for tests and benchmarks of the pkcs11 backend.

SoftHSM2 reads SOFTHSM2_CONF, and lists its tokens, once per process: when the library is
initialised (C_Initialize), and python-pkcs11 initialises it once per process. So make every
token a process needs in one `softhsm_tokens` block, entered before anything loads the module,
and give each test its own key label rather than its own token.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

MODULE_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",  # Debian, Ubuntu
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",  # Fedora
    "/usr/lib/pkcs11/libsofthsm2.so",  # Arch, Alpine
    "/usr/local/lib/softhsm/libsofthsm2.so",  # built from source
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",  # macOS
)
CONF_VARIABLE = "SOFTHSM2_CONF"


def softhsm_module() -> str | None:
    """The SoftHSM2 PKCS#11 module's path, or None unless it and `softhsm2-util` are both
    installed.
    """
    if shutil.which("softhsm2-util") is None:
        return None
    return next((path for path in MODULE_PATHS if Path(path).is_file()), None)


@dataclass(frozen=True, slots=True)
class SoftHsm:
    """Initialised tokens sharing one user PIN, and what a process needs to reach them."""

    module_path: str
    token_labels: tuple[str, ...]
    pin: str = field(repr=False)
    so_pin: str = field(repr=False)
    conf: Path

    @property
    def token_label(self) -> str:
        """The first token's label."""
        return self.token_labels[0]

    @property
    def environment(self) -> dict[str, str]:
        """The variable to set in processes that use these tokens."""
        return {CONF_VARIABLE: str(self.conf)}


@contextmanager
def softhsm_tokens(
    *labels: str, module_path: str | None = None, pin: str | None = None
) -> Iterator[SoftHsm]:
    """Tokens labelled `labels` (one "wallets" token by default) in a temporary token directory
    with a SOFTHSM2_CONF of its own, set in this process's environment until the block ends (then
    the previous value comes back and the directory goes).
    """
    module = module_path or softhsm_module()
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        raise RuntimeError("SoftHSM2 is not installed (Debian: apt-get install softhsm2)")
    labels = labels or ("wallets",)
    pin = pin or secrets.token_hex(8)
    so_pin = secrets.token_hex(8)
    previous = os.environ.get(CONF_VARIABLE)
    with tempfile.TemporaryDirectory(prefix="softhsm-") as directory:
        tokens = Path(directory, "tokens")
        tokens.mkdir()
        conf = Path(directory, "softhsm2.conf")
        conf.write_text(
            f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
            "log.level = ERROR\nslots.removable = false\n"
        )
        environment = {**os.environ, CONF_VARIABLE: str(conf)}
        for label in labels:
            command = [util, "--init-token", "--free", "--label", label]
            command += ["--pin", pin, "--so-pin", so_pin]
            subprocess.run(command, env=environment, check=True, capture_output=True)
        os.environ[CONF_VARIABLE] = str(conf)
        try:
            yield SoftHsm(module, tuple(labels), pin, so_pin, conf)
        finally:
            if previous is None:
                os.environ.pop(CONF_VARIABLE, None)
            else:
                os.environ[CONF_VARIABLE] = previous
