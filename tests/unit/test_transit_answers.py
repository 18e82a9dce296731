"""How the transit wrapper reads answers that no running OpenBao gives on demand: a standby
node's redirect, and the statuses that mean "not now" against those that mean "no"."""

import httpx
import pytest

from adapters.kms.transit import TransitKeyWrapper
from domain.errors import KmsRefused, KmsUnavailable

CONTEXT = b"wallet binding"


def _answering(status: int, **response: object) -> TransitKeyWrapper:
    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, **response)  # type: ignore[arg-type]

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return TransitKeyWrapper("http://127.0.0.1:9", "token", "wallets", 1.0, client=client)


@pytest.mark.parametrize("status", [307, 429, 500, 503])
async def test_a_redirect_or_a_busy_or_failing_server_is_unavailable(status: int) -> None:
    redirect = {"headers": {"location": "http://10.0.0.2:8200/v1/transit/keys/wallets"}}
    wrapper = _answering(status, **(redirect if status == 307 else {}))
    with pytest.raises(KmsUnavailable) as raised:
        await wrapper.wrap(bytes(32), CONTEXT)
    assert raised.value.cause == f"http-{status}"


async def test_a_refusal_stays_a_refusal() -> None:
    wrapper = _answering(403, json={"errors": ["permission denied"]})
    with pytest.raises(KmsRefused):
        await wrapper.wrap(bytes(32), CONTEXT)
