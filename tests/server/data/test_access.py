"""Access follows the app's roles: reviewers read their projects, admins also run SQL and
send items to the front of the queue; the CSRF header guards that POST."""

from __future__ import annotations

from labelloop.server.auth import CSRF_HEADER
from labelloop.store import accounts
from tests.server.conftest import Site


def test_anonymous_and_annotators_cannot_read_the_data_api(site: Site) -> None:
    for client in (site.client(None), site.client("ann")):
        assert client.get("/data/digits/items.json").status_code == 403
        assert client.get("/data/-/sql.json?sql=select+1").status_code == 403
        assert client.get("/data/digits/browse").status_code == 403
        assert client.get("/data/").json()["projects"] == []
    denied = site.client(None).get("/data/digits/items.json")
    assert denied.json()["error"].startswith("you may not read project 'digits'")
    assert denied.headers["cache-control"] == "no-store"


def test_reviewers_read_only_their_projects_and_run_no_sql(site: Site) -> None:
    accounts.add_user(site.db, "rita", "reviewer")
    accounts.grant(site.db, site.project.record, "rita")
    rita = site.client("rita")
    page = rita.get("/data/digits/items.json?_size=3")
    assert page.status_code == 200 and len(page.json()["rows"]) == 3
    assert page.headers["cache-control"] == "private, no-cache"
    assert "Cookie" in page.headers["vary"]
    assert rita.get("/data/secret/items.json").status_code == 403
    assert rita.get("/data/-/sql.json?sql=select+1").status_code == 403
    assert [p["name"] for p in rita.get("/data/").json()["projects"]] == ["digits"]


def test_unknown_projects_are_404_without_listing_the_others(site: Site) -> None:
    response = site.client(None).get("/data/nope/items.json")
    assert response.status_code == 404 and "secret" not in response.text


def test_only_admins_see_and_use_label_these(site: Site) -> None:
    admin = site.client("admin")
    assert 'id="label-these"' in admin.get("/data/digits/browse").text
    accounts.add_user(site.db, "rita", "reviewer")
    accounts.grant(site.db, site.project.record, "rita")
    rita = site.client("rita")
    assert 'id="label-these"' not in rita.get("/data/digits/browse").text
    body = {"table": "items", "query": "key__in=40,41,42"}
    assert rita.post("/data/digits/label-these", json=body).status_code == 403


def test_label_these_sends_the_filtered_items_to_the_front_of_the_queue(site: Site) -> None:
    admin = site.client("admin")
    response = admin.post(
        "/data/digits/label-these", json={"table": "items", "query": "key__in=42,7,40&_sort=key"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"] == 3
    leases = site.project.claim("bob", n=4)
    assert [lease.item_key for lease in leases[:3]] == ["40", "42", "7"]


def test_label_these_needs_the_csrf_header_and_a_filter(site: Site) -> None:
    admin = site.client("admin")
    del admin.headers[CSRF_HEADER]
    body = {"table": "items", "query": "key=1"}
    assert admin.post("/data/digits/label-these", json=body).status_code == 403
    admin = site.client("admin")
    refused = admin.post("/data/digits/label-these", json={"table": "items", "query": ""})
    assert refused.status_code == 400 and "filter" in refused.json()["error"]
    wrong = admin.post("/data/digits/label-these", json={"table": "annotators", "query": "id=1"})
    assert wrong.status_code == 400


def test_admins_run_sql_over_the_whole_store(site: Site) -> None:
    admin = site.client("admin")
    rows = admin.get("/data/-/sql.json?sql=select+name+from+projects+order+by+name").json()["rows"]
    assert [r["name"] for r in rows] == ["digits", "secret"]
    hidden = admin.get("/data/-/sql.json?sql=select+*+from+sessions")
    assert hidden.status_code == 400 and "not available" in hidden.json()["error"]
