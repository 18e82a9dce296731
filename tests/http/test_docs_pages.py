"""The docs pages under /schema load every script, style sheet and icon from the service itself
(a custody service often has no way out to the internet), and each of those is served, public,
with its content type. Only the UI served that way is reachable.
"""

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.support import settings_for

CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
}
ABSOLUTE_URL = re.compile(rb"https?://", re.IGNORECASE)


def _app() -> Litestar:
    return create_app(build_container(settings_for("memory://")))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Litestar]]:
    with TestClient(_app()) as client:
        yield client


class _Loads(HTMLParser):
    """Every URL a page makes the browser load or link to: src and href of any element."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]


def _loads(page: str) -> list[str]:
    parser = _Loads()
    parser.feed(page)
    return parser.urls


def _docs_pages() -> list[str]:
    """Every fixed path under /schema that answers with an HTML page."""
    paths = [
        route.path
        for route in _app().routes
        if isinstance(route, HTTPRoute)
        and route.path.startswith("/schema")
        and "{" not in route.path
    ]
    with TestClient(_app()) as client:
        return sorted(
            path
            for path in paths
            if client.get(path).headers["content-type"].startswith("text/html")
        )


PAGES = _docs_pages()


def test_swagger_ui_is_served_at_schema_and_schema_swagger() -> None:
    assert {"/schema", "/schema/swagger"} <= set(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_every_asset_of_a_docs_page_is_same_origin_and_served(
    path: str, client: TestClient[Litestar]
) -> None:
    page = client.get(path)
    assert page.status_code == 200
    for url in _loads(page.text):
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        asset = client.get(url)  # no token: the docs are public
        assert asset.status_code == 200, url
        assert asset.content, url
        suffix = url[url.rfind(".") :]
        assert asset.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url


def test_the_swagger_page_loads_its_script_style_and_icon(client: TestClient[Litestar]) -> None:
    loads = _loads(client.get("/schema").text)
    assert {url[url.rfind(".") :] for url in loads} == {".js", ".css", ".png"}
    assert all(url.startswith("/schema/static/") for url in loads)


@pytest.mark.parametrize("path", PAGES)
def test_no_docs_page_names_another_origin(path: str, client: TestClient[Litestar]) -> None:
    """Not even in a script: the document the page embeds is the only text that may hold a URL
    (its problem types are URIs that nothing loads).
    """
    document = client.get("/schema/openapi.json").content
    page = client.get(path).content.replace(document, b"")
    assert ABSOLUTE_URL.search(page) is None


@pytest.mark.parametrize("ui", ["redoc", "elements", "rapidoc", "scalar"])
def test_the_uis_that_would_load_from_a_cdn_are_not_served(
    ui: str, client: TestClient[Litestar]
) -> None:
    assert client.get(f"/schema/{ui}").status_code == 404


def test_the_document_is_still_served_as_json_and_yaml(client: TestClient[Litestar]) -> None:
    assert client.get("/schema/openapi.json").json()["info"]["title"] == "wallet-orchestrator"
    assert client.get("/schema/openapi.yaml").text.startswith("components:")


def test_the_assets_folder_serves_only_its_own_files(client: TestClient[Litestar]) -> None:
    assert client.get("/schema/static/../../entrypoints/http/docs.py").status_code == 404
    assert client.get("/schema/static/%2e%2e/__init__.py").status_code == 404
    assert client.head("/schema/static/swagger-ui.css").status_code == 200
