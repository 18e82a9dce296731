"""nginx (Debian's package) in front of `serve` instances, run from a temporary prefix."""

import grp
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.servers import START_TIMEOUT_SECONDS, free_port, stop_process_group

TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# Tab-separated for the test to split; $upstream_addr lists every upstream tried, comma-separated.
LOG_FORMAT = (
    "$request_method\\t$uri\\t$status\\t$upstream_addr\\t$upstream_status\\t$request_time"
    "\\t$wallet_request_id"
)

# The upstream part is the one docs/deploy.md shows; keep the two alike.
CONFIG = """\
worker_processes 2;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
{user}
events {{
    worker_connections 1024;
}}

http {{
    log_format balanced "{log_format}";
    access_log {prefix}/access.log balanced;
{temp_paths}

    map $http_x_request_id $wallet_request_id {{
        "" $request_id;
        default $http_x_request_id;
    }}

    upstream wallet_orchestrator {{
{servers}
        keepalive 32;
        keepalive_timeout 60s;
    }}

    server {{
        listen 127.0.0.1:{port};

        location / {{
            proxy_pass http://wallet_orchestrator;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header Authorization $http_authorization;
            proxy_set_header X-Request-ID $wallet_request_id;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 2s;
            proxy_send_timeout 30s;
            proxy_read_timeout 30s;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    """nginx on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH)."""
    found = shutil.which("nginx")
    if found is not None:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


@dataclass(frozen=True)
class LogLine:
    """One request as nginx logged it."""

    method: str
    path: str
    status: int
    upstreams: tuple[str, ...]
    upstream_statuses: str
    seconds: float
    request_id: str


def read_access_log(path: Path) -> list[LogLine]:
    lines = []
    for line in path.read_text().splitlines():
        method, uri, status, upstreams, upstream_statuses, seconds, request_id = line.split("\t")
        tried = tuple(address.strip() for address in upstreams.split(","))
        lines.append(
            LogLine(method, uri, int(status), tried, upstream_statuses, float(seconds), request_id)
        )
    return lines


def _user_directive() -> str:
    # As root, the master switches its workers to an unprivileged user: nobody, with the group
    # this system gives it (nogroup on Debian), rather than whatever the build assumed.
    if os.geteuid() != 0:
        return ""
    group = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    return f"user nobody {group};"


def render_config(prefix: Path, port: int, upstream_ports: Sequence[int]) -> str:
    temp_paths = "\n".join(f"    {name}_temp_path {prefix}/{name};" for name in TEMP_PATHS)
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstream_ports)
    return CONFIG.format(
        prefix=prefix,
        user=_user_directive(),
        log_format=LOG_FORMAT,
        temp_paths=temp_paths,
        servers=servers,
        port=port,
    )


@dataclass(frozen=True)
class Nginx:
    base_url: str
    prefix: Path


@contextmanager
def balancing(binary: str, upstream_ports: Sequence[int], logs: Path) -> Iterator[Nginx]:
    """nginx on a free loopback port, round-robin over `upstream_ports`, stopped (QUIT, then
    TERM) on exit; its access and error logs are copied into `logs` as nginx-*.log."""
    with tempfile.TemporaryDirectory(prefix="wallet-nginx-") as directory:
        prefix = Path(directory)
        # Workers run as nobody when we are root: they must reach the temp paths inside.
        prefix.chmod(0o755)
        port = free_port()
        config = prefix / "nginx.conf"
        config.write_text(render_config(prefix, port, upstream_ports))
        command = [binary, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(config)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        with (prefix / "stderr.log").open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=sink, start_new_session=True)
        try:
            proxy = Nginx(f"http://127.0.0.1:{port}", prefix)
            _wait_until_up(process, proxy)
            yield proxy
        finally:
            # QUIT: a graceful stop, its workers finishing what they serve.
            stop_process_group(process, (signal.SIGQUIT, signal.SIGTERM, signal.SIGKILL))
            for name in ("access", "error"):
                if (prefix / f"{name}.log").exists():
                    shutil.copy(prefix / f"{name}.log", logs / f"nginx-{name}.log")


def _wait_until_up(process: subprocess.Popen[bytes], proxy: Nginx) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {(proxy.prefix / 'error.log').read_text()}")
        try:
            if httpx.get(f"{proxy.base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nginx did not answer: {(proxy.prefix / 'error.log').read_text()}")
