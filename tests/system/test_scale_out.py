"""Scale-out: two `serve` instances behind nginx, one PostgreSQL, the creation storm through the
proxy. The database, not the instance a request lands on, decides who gets which wallet."""

import time
from collections import Counter
from pathlib import Path

import pytest

from harness.servers import serving
from tests.support import KEY, TOKEN
from tests.system.load import LoadClient, assert_one_wallet_per_user, check_stored_invariants
from tests.system.nginx import LogLine, balancing, nginx_binary, read_access_log
from tests.system.tools import required_tool

USERS = 300
COPIES = 5
CONNECTIONS = 100
CREATE_PATH = "/wallets/create-user-wallet"


@pytest.fixture
def nginx() -> str:
    return required_tool(nginx_binary(), "nginx", "scale-out test")


def _creations_by_upstream(log: list[LogLine]) -> Counter[str]:
    creations = [line for line in log if line.method == "POST" and line.path == CREATE_PATH]
    assert all(len(line.upstreams) == 1 for line in creations), "nginx retried a creation"
    assert all(line.status < 500 for line in creations)
    return Counter(line.upstreams[0] for line in creations)


@pytest.mark.postgres
async def test_two_instances_behind_nginx_one_wallet_per_user(
    nginx: str, migrated_postgres_url: str, tmp_path: Path
) -> None:
    user_ids = [f"scale-out-user-{n:03d}" for n in range(USERS)]
    with (
        serving(migrated_postgres_url, tmp_path / "first.log", token=TOKEN) as first,
        serving(migrated_postgres_url, tmp_path / "second.log", token=TOKEN) as second,
        balancing(nginx, [first.port, second.port], logs=tmp_path) as proxy,
    ):
        started = time.monotonic()
        async with LoadClient(proxy.base_url, connections=CONNECTIONS) as client:
            await client.register(user_ids)
            await client.create_storm(user_ids, copies=COPIES, key=KEY)
        elapsed = time.monotonic() - started
    report = client.report
    served = _creations_by_upstream(read_access_log(tmp_path / "nginx-access.log"))
    figures = f"{elapsed:.1f}s {report.summary()} creations by upstream: {dict(served)}"
    print(f"\nscale-out: {figures}")  # noqa: T201 - figures for the closing note

    assert report.server_errors == 0, report.summary()
    assert report.transport_errors == 0, report.summary()
    assert_one_wallet_per_user(report)
    for user_id in user_ids:
        statuses = sorted(status for status, _ in report.by_user[user_id])
        assert statuses == [200] * (COPIES - 1) + [201], (user_id, statuses)
    assert await check_stored_invariants(migrated_postgres_url, KEY) == USERS
    # Round robin: each instance answered about half, so both really took part.
    assert served.keys() == {f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"}, served
    assert sum(served.values()) == USERS * COPIES
    assert min(served.values()) >= USERS * COPIES // 4, served
    # Nothing went wrong between nginx and the instances (refused, reset, timed out, temp files).
    problems = [
        line
        for line in (tmp_path / "nginx-error.log").read_text().splitlines()
        if any(level in line for level in ("[error]", "[crit]", "[alert]", "[emerg]"))
    ]
    assert not problems, problems[:3]
