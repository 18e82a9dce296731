"""The app as `serve` runs it freezes the heap it started with and collects young objects less
often; the plain factory (tests, embedding) changes neither: frozen objects are never freed."""

import gc
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from entrypoints.container import build_container
from entrypoints.http.app import YOUNG_GENERATION_THRESHOLD, create_app, create_served_app
from tests.support import AUTH, TOKEN, settings_for


@pytest.fixture
def unfrozen() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("unfrozen")
def test_the_served_app_freezes_what_exists_once_it_has_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "memory://")
    monkeypatch.setenv("WALLET_API_TOKENS", TOKEN)
    app = create_served_app()
    assert gc.get_freeze_count() == 0
    before = gc.get_threshold()
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, *before[1:])
        answer = client.get("/wallets/user/nobody", headers=AUTH)
    assert answer.status_code == 404


@pytest.mark.usefixtures("unfrozen")
def test_the_plain_factory_freezes_nothing() -> None:
    before = gc.get_threshold()
    with TestClient(create_app(build_container(settings_for("memory://")))) as client:
        assert client.get("/health").status_code == 200
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
