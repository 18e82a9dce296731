"""PgBouncer (Debian's package) in transaction pooling mode, run from a temporary directory."""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from harness.servers import START_TIMEOUT_SECONDS, free_port, stop_process_group

# The pooling part is the one docs/deploy.md shows; keep the two alike. The rest only puts the
# process, its files and its clients' authentication in the test's hands.
CONFIG = """\
[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid

pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
max_prepared_statements = 0
"""
# Debian 12's PgBouncer 1.18 knows no max_prepared_statements (1.21 and newer): left out there.
_NOT_BEFORE_1_21 = "max_prepared_statements = 0\n"


def pgbouncer_binary() -> str | None:
    """pgbouncer on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH)."""
    found = shutil.which("pgbouncer")
    if found is not None:
        return found
    return "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None


def pgbouncer_version(binary: str) -> tuple[int, int]:
    """(1, 18) for "PgBouncer 1.18.0"."""
    first_line = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True
    ).stdout.splitlines()[0]
    major, minor = first_line.split()[1].split(".")[:2]
    return int(major), int(minor)


@dataclass(frozen=True)
class PgBouncer:
    port: int
    directory: Path

    def url_for(self, database_url: str) -> str:
        """`database_url` (a database on the PostgreSQL server) reached through PgBouncer."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)


def render_config(directory: Path, port: int, server_url: str, pool_size: int, *, new: bool) -> str:
    server = make_url(server_url)
    config = CONFIG.format(
        server_host=server.host or "127.0.0.1",
        server_port=server.port or 5432,
        port=port,
        directory=directory,
        pool_size=pool_size,
    )
    return config if new else config.replace(_NOT_BEFORE_1_21, "")


def _userlist(server_url: str) -> str:
    # With auth_type = trust PgBouncer checks no client password, but the user must be listed;
    # the password, if any, is the one PgBouncer logs in to PostgreSQL with.
    server = make_url(server_url)
    user = (server.username or "postgres").replace('"', '""')
    password = (server.password or "").replace('"', '""')
    return f'"{user}" "{password}"\n'


@contextmanager
def pooling(binary: str, server_url: str, logs: Path, pool_size: int = 3) -> Iterator[PgBouncer]:
    """PgBouncer on a free loopback port in front of `server_url`'s PostgreSQL, at most
    `pool_size` server connections per database and user, stopped on exit; its log is copied
    into `logs` as pgbouncer.log."""
    with tempfile.TemporaryDirectory(prefix="wallet-pgbouncer-") as name:
        directory = Path(name)
        port = free_port()
        config = directory / "pgbouncer.ini"
        new = pgbouncer_version(binary) >= (1, 21)
        config.write_text(render_config(directory, port, server_url, pool_size, new=new))
        (directory / "userlist.txt").write_text(_userlist(server_url))
        command = [binary, *_identity(directory), str(config)]
        with (directory / "stderr.log").open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=sink, start_new_session=True)
        try:
            bouncer = PgBouncer(port, directory)
            _wait_until_listening(process, bouncer)
            yield bouncer
        finally:
            # TERM: PgBouncer closes every connection and exits at once.
            stop_process_group(process, (signal.SIGTERM, signal.SIGKILL))
            for source in ("pgbouncer.log", "stderr.log"):
                if (directory / source).exists():
                    shutil.copy(directory / source, logs / f"pgbouncer-{source}")


def _identity(directory: Path) -> list[str]:
    # PgBouncer refuses to run as root; then it runs as postgres (or nobody), which must be
    # able to write its log and pid files in the directory and read the two files it is given.
    if os.geteuid() != 0:
        return []
    user = "postgres" if _user_exists("postgres") else "nobody"
    entry = pwd.getpwnam(user)
    for path in (directory, *directory.iterdir()):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return ["-u", user]


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_until_listening(process: subprocess.Popen[bytes], bouncer: PgBouncer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {_output(bouncer)}")
        try:
            with socket.create_connection(("127.0.0.1", bouncer.port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"pgbouncer did not listen: {_output(bouncer)}")


def _output(bouncer: PgBouncer) -> str:
    texts = []
    for name in ("stderr.log", "pgbouncer.log"):
        path = bouncer.directory / name
        if path.exists():
            texts.append(path.read_text()[-3000:])
    return "\n".join(texts)
