"""The queue's rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from labelloop import LeaseError, NothingToUndoError, Project
from labelloop.errors import InvalidInputError, UnknownAnnotatorError
from labelloop.store import Database
from tests.conftest import FakeClock
from tests.helpers import make_project


def test_claim_hands_out_items_in_insertion_order(db: Database) -> None:
    project = make_project(db, 5)
    leases = project.claim("alice", 3)
    assert [lease.item_key for lease in leases] == ["0", "1", "2"]
    assert [lease.item_key for lease in project.claim("bob", 5)] == ["3", "4"]
    assert project.claim("bob") == []


def test_claim_on_random_order_is_seeded(db: Database) -> None:
    orders = []
    for name, seed in [("r1", 7), ("r2", 7), ("r3", 8)]:
        project = Project(db, name, options=["a"], order="random", seed=seed)
        project.add_items(np.zeros((30, 1)), progress=False)
        project.add_annotator("alice")
        orders.append([lease.item_key for lease in project.claim("alice", 30)])
    assert sorted(orders[0], key=int) == [str(i) for i in range(30)]
    assert orders[0] != sorted(orders[0], key=int)
    assert orders[0] == orders[1] != orders[2]


def test_submit_stores_label_and_completes_item(db: Database) -> None:
    project = make_project(db, 3)
    lease = project.claim("alice")[0]
    project.submit(lease, "b", time_taken=1.5)
    labels = project.labels
    assert labels[["item_key", "annotator", "value", "time_taken"]].values.tolist() == [
        ["0", "alice", "b", 1.5]
    ]
    assert project.progress.done == 1
    assert project.progress_of("alice").mine == 1


def test_submitting_the_same_lease_twice_stores_one_label(db: Database) -> None:
    project = make_project(db, 3)
    lease = project.claim("alice")[0]
    first = project.submit(lease, "a")
    assert project.submit(lease, "a") == first
    assert len(project.label_history()) == 1
    with pytest.raises(LeaseError, match="already submitted"):
        project.submit(lease, "b")


def test_label_outside_options_is_refused_and_nothing_stored(db: Database) -> None:
    project = make_project(db, 3)
    lease = project.claim("alice")[0]
    with pytest.raises(
        InvalidInputError, match=r"not one of the project's options \['a', 'b', 'c'\]"
    ):
        project.submit(lease, "z")
    assert project.label_history().empty
    project.submit(lease, "a")  # the lease is still good


def test_expired_lease_returns_item_to_pool(db: Database, clock: FakeClock) -> None:
    project = make_project(db, 2, lease_seconds=60)
    held = project.claim("alice")[0]
    assert project.claim("bob")[0].item_key == "1"
    clock.advance(61)
    assert project.claim("bob")[0].item_key == held.item_key
    with pytest.raises(LeaseError, match="unknown or has ended"):
        project.submit(held, "a")
    assert project.label_history().empty


def test_expired_but_unreclaimed_lease_cannot_submit(db: Database, clock: FakeClock) -> None:
    project = make_project(db, 2, lease_seconds=60)
    held = project.claim("alice")[0]
    clock.advance(61)
    with pytest.raises(LeaseError, match="expired"):
        project.submit(held, "a")


def test_heartbeat_keeps_a_lease_alive(db: Database, clock: FakeClock) -> None:
    project = make_project(db, 1, lease_seconds=60)
    lease = project.claim("alice")[0]
    clock.advance(50)
    project.heartbeat(lease)
    clock.advance(50)
    assert project.claim("bob") == []
    project.submit(lease, "a")
    clock.advance(120)
    with pytest.raises(LeaseError):
        project.heartbeat(lease)


def test_foreign_lease_is_refused(db: Database) -> None:
    project = make_project(db, 1)
    lease = project.claim("alice")[0]
    with pytest.raises(LeaseError, match="another annotator"):
        project.submit(lease.id, "a", annotator="bob")
    assert project.label_history().empty


def test_skip_gives_item_to_others_but_not_back(db: Database) -> None:
    project = make_project(db, 2)
    first = project.claim("alice")[0]
    project.skip(first)
    assert [lease.item_key for lease in project.claim("alice", 5)] == ["1"]
    assert [lease.item_key for lease in project.claim("bob", 5)] == ["0"]


def test_release_puts_item_back_for_anyone(db: Database) -> None:
    project = make_project(db, 1)
    lease = project.claim("alice")[0]
    project.release(lease)
    assert project.claim("alice")[0].item_key == "0"


def test_k_labels_come_from_k_different_annotators(db: Database) -> None:
    project = make_project(db, 2, k=2)
    project.add_annotator("carol")
    alice = project.claim("alice", 5)
    assert [lease.item_key for lease in alice] == ["0", "1"]
    bob = project.claim("bob", 5)
    assert [lease.item_key for lease in bob] == ["0", "1"]
    assert project.claim("carol", 5) == []
    for lease in alice + bob:
        project.submit(lease, "a")
    assert project.claim("alice", 5) == []
    assert project.progress.done == 2
    assert project.labels.groupby("item_key")["annotator"].nunique().tolist() == [2, 2]


def test_undo_removes_own_last_label_and_leases_item_back(db: Database) -> None:
    project = make_project(db, 3)
    first, second = project.claim("alice", 2)
    project.submit(first, "a")
    project.submit(second, "b")
    lease = project.undo("alice")
    assert lease.item_key == second.item_key
    assert project.labels["item_key"].tolist() == [first.item_key]
    project.submit(lease, "c")
    history = project.label_history()
    assert history["value"].tolist() == ["a", "b", "c"]
    assert history["undone_at"].notna().tolist() == [False, True, False]


def test_undo_cannot_touch_another_annotators_label(db: Database) -> None:
    project = make_project(db, 2)
    project.submit(project.claim("bob")[0], "a")
    with pytest.raises(NothingToUndoError):
        project.undo("alice")
    assert project.labels["annotator"].tolist() == ["bob"]


def test_relabel_adds_a_row_and_keeps_the_old_one(db: Database) -> None:
    project = make_project(db, 2)
    project.submit(project.claim("alice")[0], "a")
    project.relabel("alice", "0", "c")
    assert project.labels["value"].tolist() == ["c"]
    history = project.label_history()
    assert history["value"].tolist() == ["a", "c"]
    assert history["current"].tolist() == [False, True]
    assert project.progress.done == 1
    assert [h.value for h in project.history("alice")] == ["c"]


def test_undo_after_relabel_restores_the_previous_label(db: Database) -> None:
    project = make_project(db, 2)
    project.submit(project.claim("alice")[0], "a")
    project.relabel("alice", "0", "c")
    lease = project.undo("alice")
    assert project.labels["value"].tolist() == ["a"]
    project.release(lease)
    assert project.progress.done == 1


def test_relabel_of_an_item_not_labelled_by_me_is_refused(db: Database) -> None:
    project = make_project(db, 2)
    project.submit(project.claim("bob")[0], "a")
    with pytest.raises(InvalidInputError, match="no label on item '0'"):
        project.relabel("alice", "0", "b")


def test_priorities_reorder_the_queue(db: Database) -> None:
    project = make_project(db, 5)
    project.set_priorities(["3", "1"], [2.0, 1.0])
    assert [lease.item_key for lease in project.claim("alice", 5)] == ["3", "1", "0", "2", "4"]


def test_bad_priorities_change_nothing(db: Database) -> None:
    project = make_project(db, 3)
    with pytest.raises(InvalidInputError, match="finite"):
        project.set_priorities(["0", "1"], [1.0, np.nan])
    with pytest.raises(InvalidInputError, match="equal length"):
        project.set_priorities(["0", "1"], [1.0])
    with pytest.raises(InvalidInputError, match="no items"):
        project.set_priorities(["0", "nope"], [1.0, 2.0])
    assert [lease.item_key for lease in project.claim("alice", 3)] == ["0", "1", "2"]


def test_unknown_annotator_is_named(db: Database) -> None:
    project = make_project(db, 1)
    with pytest.raises(UnknownAnnotatorError, match="no annotator 'mallory'"):
        project.claim("mallory")


def test_progress_counts_done_labelled_and_leased(db: Database) -> None:
    project = make_project(db, 4, k=2)
    a = project.claim("alice", 2)
    project.submit(a[0], "a")
    project.submit(project.claim("bob")[0], "a")
    progress = project.progress
    assert (progress.total, progress.done, progress.labelled, progress.labels) == (4, 1, 1, 2)
    assert progress.in_progress == 1
    assert progress.remaining == 3
