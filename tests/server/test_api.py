"""The labelling API and the pages' access rules, through real HTTP requests."""

from __future__ import annotations

import numpy as np
import pytest

from labelloop import Project
from labelloop.server.auth import CSRF_HEADER
from labelloop.store import accounts
from tests.server.conftest import DIGITS, Site


def test_login_link_works_once(site: Site) -> None:
    token = accounts.issue_login_token(site.db, "ann")
    client = site.client(None)
    assert client.get(f"/login?token={token}", follow_redirects=False).status_code == 303
    assert "digits" in client.get("/").text
    again = site.client(None).get(f"/login?token={token}")
    assert again.status_code == 401 and "not valid" in again.text


def test_everything_but_login_needs_a_session(site: Site) -> None:
    client = site.client(None)
    assert client.get("/").status_code == 401
    assert client.get("/projects/digits/label").status_code == 401
    assert client.post("/api/projects/digits/claim", json={"n": 1}).status_code == 401
    assert client.get("/api/projects/digits/progress").status_code == 401


def test_claim_and_submit_by_api(site: Site) -> None:
    client = site.client("ann")
    items = client.post("/api/projects/digits/claim", json={"n": 2}).json()["items"]
    assert [i["key"] for i in items] == ["0", "1"]
    assert items[0]["display"]["kind"] == "image"
    image = client.get(items[0]["display"]["url"])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    answer = client.post(
        "/api/projects/digits/submit",
        json={"lease": items[0]["lease"], "value": 0, "time_taken": 1.5},
    )
    assert answer.status_code == 200
    assert client.get("/api/projects/digits/progress").json()["mine"] == 1


def test_a_value_outside_the_options_is_422_naming_them(site: Site) -> None:
    client = site.client("ann")
    lease = client.post("/api/projects/digits/claim", json={"n": 1}).json()["items"][0]["lease"]
    answer = client.post("/api/projects/digits/submit", json={"lease": lease, "value": "cat"})
    assert answer.status_code == 422
    assert "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" in answer.json()["detail"]
    assert site.project.labels.empty


def test_a_foreign_lease_is_409_and_stores_nothing(site: Site) -> None:
    lease = site.client("ann").post("/api/projects/digits/claim", json={"n": 1}).json()["items"][0]
    answer = site.client("bob").post(
        "/api/projects/digits/submit", json={"lease": lease["lease"], "value": 1}
    )
    assert answer.status_code == 409 and "another annotator" in answer.json()["detail"]
    assert site.project.labels.empty


def test_an_unknown_lease_is_409(site: Site) -> None:
    answer = site.client("ann").post("/api/projects/digits/submit", json={"lease": "x", "value": 1})
    assert answer.status_code == 409


def test_cookie_posts_need_the_csrf_header(site: Site) -> None:
    client = site.client("ann")
    del client.headers[CSRF_HEADER]
    answer = client.post("/api/projects/digits/claim", json={"n": 1})
    assert answer.status_code == 403 and "CSRF" in answer.json()["detail"]
    client.headers[CSRF_HEADER] = "forged"
    assert client.post("/api/projects/digits/claim", json={"n": 1}).status_code == 403


def test_bearer_tokens_work_without_csrf(site: Site) -> None:
    token = accounts.issue_login_token(site.db, "bob")
    client = site.client(None)
    session = client.post("/api/login", json={"token": token}).json()["session"]
    client.headers["Authorization"] = f"Bearer {session}"
    assert client.post("/api/projects/digits/claim", json={"n": 1}).status_code == 200


def test_annotators_cannot_reach_admin_or_other_projects(site: Site) -> None:
    client = site.client("ann")
    assert client.get("/admin").status_code == 403
    assert client.post("/api/projects/secret/claim", json={"n": 1}).status_code == 403
    assert client.get("/projects/secret/label").status_code == 403
    assert "secret" not in client.get("/").text
    assert [p["name"] for p in client.get("/api/projects").json()] == ["digits"]


def test_admin_overview_shows_labels_per_annotator(site: Site) -> None:
    ann = site.client("ann")
    for item in ann.post("/api/projects/digits/claim", json={"n": 3}).json()["items"]:
        ann.post(
            "/api/projects/digits/submit",
            json={"lease": item["lease"], "value": 1, "time_taken": 2},
        )
    page = site.client("admin").get("/admin")
    assert page.status_code == 200
    assert "ann" in page.text and "2.0 s" in page.text and "3 of 50 items done" in page.text


def test_undo_by_api_gives_the_item_back(site: Site) -> None:
    client = site.client("ann")
    item = client.post("/api/projects/digits/claim", json={"n": 1}).json()["items"][0]
    client.post("/api/projects/digits/submit", json={"lease": item["lease"], "value": 3})
    again = client.post("/api/projects/digits/undo").json()["item"]
    assert again["key"] == item["key"] and again["lease"] != item["lease"]
    assert client.post("/api/projects/digits/undo").status_code == 409


def test_names_and_text_are_escaped_in_pages(site: Site) -> None:
    evil = "<script>alert(1)</script>"
    Project(site.db, evil, options=["x"]).add_items(["a"], progress=False)
    page = site.client("admin").get("/").text
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_media_is_served_only_from_under_the_media_root(site: Site, tmp_path: object) -> None:
    from pathlib import Path

    from PIL import Image

    root = Path(str(tmp_path)) / "media"
    root.mkdir()
    Image.new("L", (3, 3)).save(root / "ok.png")
    Image.new("L", (3, 3)).save(Path(str(tmp_path)) / "outside.png")
    project = Project(site.db, "files", options=["x"], media_root=root)
    project.add_items([root / "ok.png"], ids=["ok"], progress=False)
    with site.db.write() as conn:  # a row pointing outside, as if written by hand
        conn.exec_driver_sql(
            "INSERT INTO items (project_id, key, position, priority, kind, content, n_labels, "
            f"n_leases, claimable, created_at) VALUES ({project.record.id}, 'evil', 1, 0, "
            "'image_path', '../outside.png', 0, 0, FALSE, '2026-01-01')"
        )
    client = site.client("admin")
    assert client.get("/api/projects/files/items/ok/media").status_code == 200
    refused = client.get("/api/projects/files/items/evil/media")
    assert refused.status_code == 404 and "outside the media root" in refused.json()["detail"]
    assert client.get("/api/projects/files/items/..%2F..%2Fetc%2Fpasswd/media").status_code == 404


def test_openapi_documents_every_api_route(site: Site) -> None:
    schema = site.client(None).get("/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"


@pytest.mark.parametrize("value", [None, [1, 2], {"a": 1}])
def test_odd_values_are_422_not_500(site: Site, value: object) -> None:
    client = site.client("ann")
    lease = client.post("/api/projects/digits/claim", json={"n": 1}).json()["items"][0]["lease"]
    answer = client.post("/api/projects/digits/submit", json={"lease": lease, "value": value})
    assert answer.status_code == 422
    _ = np, DIGITS
