"""Table routes: shapes, paging by next_url, facets with toggle links, CSV, and errors."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from labelloop.store.query import OPERATORS, TABLES
from tests.store.query.builders import SPECIAL


def get(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()


def test_a_page_has_rows_as_objects_count_and_a_next_link(client: TestClient) -> None:
    response = client.get("/data/demo/labels.json?_size=5")
    body = response.json()
    assert body["columns"][:3] == ["id", "item_id", "item_key"]
    assert len(body["rows"]) == 5 and set(body["rows"][0]) == set(body["columns"])
    assert body["count"] == 42 and body["count_is_estimate"] is False
    assert body["next_url"].endswith(f"_next={body['next']}")
    assert response.headers["link"] == f'<{body["next_url"]}>; rel="next"'


def test_shapes_arrays_and_array(client: TestClient) -> None:
    arrays = get(client, "/data/demo/labels.json?_size=2&_shape=arrays&_col=id,value")
    assert all(isinstance(r, list) and len(r) == 2 for r in arrays["rows"])
    bare = get(client, "/data/demo/labels.json?_size=2&_shape=array&_col=id,value")
    assert isinstance(bare, list) and set(bare[0]) == {"id", "value"}
    get(client, "/data/demo/labels.json?_shape=xml", 400)


def test_following_next_url_walks_every_row_once(client: TestClient) -> None:
    url: str | None = "/data/demo/labels.json?_size=4&_sort=annotator&_col=id"
    seen: list[int] = []
    for _ in range(100):
        if url is None:
            break
        body = get(client, url)
        seen += [r["id"] for r in body["rows"]]
        url = body["next_url"]
    assert len(seen) == len(set(seen)) == 42


def test_facets_come_with_links_that_toggle_their_filter(client: TestClient) -> None:
    body = get(client, "/data/demo/labels.json?_facet=annotator&_facet=value&_size=0")
    assert body["facets_timed_out"] == []
    bob = next(v for v in body["facets"]["annotator"]["values"] if v["value"] == "bob")
    filtered = get(client, bob["toggle_url"])
    assert filtered["count"] == bob["count"]
    chosen = next(v for v in filtered["facets"]["annotator"]["values"] if v["value"] == "bob")
    assert chosen["selected"]
    assert get(client, chosen["toggle_url"])["count"] == 42


def test_csv_pages_have_a_header_and_a_link_header(client: TestClient) -> None:
    response = client.get("/data/demo/labels.csv?_size=3&_col=id,annotator,current")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["id", "annotator", "current"] and len(rows) == 4
    assert 'rel="next"' in response.headers["link"]


def test_stored_markup_comes_back_as_plain_json_text(client: TestClient) -> None:
    body = get(client, "/data/demo/items.json?content__contains=script&_col=content")
    assert body["rows"] == [{"content": SPECIAL[0]}]


def test_index_and_project_describe_tables_columns_and_operators(client: TestClient) -> None:
    index = get(client, "/data/")
    assert [p["name"] for p in index["projects"]] == ["demo", "other"]
    project = get(client, "/data/demo")
    assert [t["name"] for t in project["tables"]] == list(TABLES)
    assert project["operators"] == list(OPERATORS)
    labels = next(t for t in project["tables"] if t["name"] == "labels")
    assert get(client, labels["url"])["table"] == "labels"


def test_errors_are_json_naming_what_is_valid(client: TestClient) -> None:
    column = get(client, "/data/demo/labels.json?colour=red", 400)
    assert "valid columns" in column["error"] and "value" in column["valid_columns"]
    operator = get(client, "/data/demo/labels.json?value__regex=x", 400)
    assert operator["valid_operators"] == list(OPERATORS)
    assert "_next" in get(client, "/data/demo/labels.json?_next=bogus", 400)["error"]
    assert "items" in get(client, "/data/demo/nope.json", 404)["error"]
    assert get(client, "/data/nope/labels.json", 404)["error"] == "no project 'nope' in this store"
    assert "formats" in get(client, "/data/demo/labels.xml", 404)["error"]
    assert "valid_parameters" in get(client, "/data/demo/labels.json?_where=1", 400)
