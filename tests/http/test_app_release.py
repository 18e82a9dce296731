"""An app made, used and dropped is freed: nothing process-wide keeps it. Tests make thousands;
one kept per test grew the test process to millions of objects, and full collections of that
heap stalled it for seconds (a request past its deadline: 503 in a test not about deadlines).
"""

import gc
import weakref

from litestar.testing import TestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.support import AUTH, settings_for


def _used_app() -> weakref.ref[object]:
    """A weak reference to an app that has served a request through every per-route check."""
    app = create_app(build_container(settings_for("memory://")))
    with TestClient(app) as client:
        body = {"id": "ada", "email": "ada@example.com"}
        assert client.post("/users", json=body, headers=AUTH).status_code == 201
        assert client.get("/wallets/user/ada/events?limit=5", headers=AUTH).status_code == 404
    return weakref.ref(app)


def test_a_dropped_app_is_freed() -> None:
    app = _used_app()
    gc.collect()
    assert app() is None
