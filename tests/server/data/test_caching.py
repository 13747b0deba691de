"""ETags that move with the data, 304s on If-None-Match, and Cache-Control per response."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from labelloop.store import Database
from tests.server.data.conftest import data_app
from tests.store.query.builders import Built, add_many_labels, populate


@pytest.fixture
def fresh(db: Database) -> Iterator[tuple[Built, TestClient]]:
    built = populate(db)
    with TestClient(data_app(built)) as test_client:
        yield built, test_client


@pytest.mark.parametrize(
    "url",
    [
        "/data/demo/labels.json?_facet=value",
        "/data/demo/labels.csv",
        "/data/demo/labels.ndjson",
        "/data/-/sql.json?sql=select+count(*)+from+labels",
    ],
)
def test_an_unchanged_store_answers_if_none_match_with_304(
    fresh: tuple[Built, TestClient], url: str
) -> None:
    _, client = fresh
    first = client.get(url)
    tag = first.headers["etag"]
    assert client.get(url).headers["etag"] == tag
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    assert again.headers["cache-control"] == first.headers["cache-control"]
    assert client.get(url, headers={"If-None-Match": f'W/{tag}, "other"'}).status_code == 304


def test_a_write_changes_the_etag_and_the_old_one_gets_the_new_data(
    fresh: tuple[Built, TestClient],
) -> None:
    built, client = fresh
    url = "/data/demo/labels.json?_size=0"
    first = client.get(url)
    add_many_labels(built.db, built.demo, 3)
    after = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != first.headers["etag"]
    assert after.json()["count"] == first.json()["count"] + 3


def test_different_queries_have_different_etags(fresh: tuple[Built, TestClient]) -> None:
    _, client = fresh
    tags = {
        client.get(u).headers["etag"]
        for u in (
            "/data/demo/labels.json",
            "/data/demo/labels.csv",
            "/data/demo/labels.json?_size=1",
        )
    }
    assert len(tags) == 3


def test_public_data_may_be_kept_by_shared_caches_and_errors_never(
    fresh: tuple[Built, TestClient],
) -> None:
    _, client = fresh
    assert client.get("/data/demo/labels.json").headers["cache-control"] == "public, no-cache"
    assert client.get("/data/demo/nope.json").headers["cache-control"] == "no-store"
    assert client.get("/data/demo/labels.json?x=1").headers["cache-control"] == "no-store"


def test_browse_assets_named_by_their_hash_are_immutable(fresh: tuple[Built, TestClient]) -> None:
    _, client = fresh
    page = client.get("/data/demo/browse").text
    script = page.split('src="../-/static/')[1].split('"')[0]
    response = client.get(f"/data/-/static/{script}")
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    tag = response.headers["etag"]
    assert client.get("/data/-/static/browse.js", headers={"If-None-Match": tag}).status_code == 304
    assert client.get("/data/-/static/secrets.txt").status_code == 404
