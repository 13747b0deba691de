"""Retraining: labels in, priorities out, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from labelloop import InvalidInputError, Project
from labelloop.learn import entropy
from labelloop.store import Database
from tests.factories import small_lr

DIGITS = load_digits()


def digits_project(db: Database, n: int = 300, **settings: object) -> Project:
    project = Project(db, "digits", options=list(range(10)), **settings)  # type: ignore[arg-type]
    project.add_items(DIGITS.images[:n], progress=False)
    project.add_annotator("oracle")
    project.add_annotator("second")
    return project


def label(project: Project, n: int, annotator: str = "oracle") -> None:
    for lease in project.claim(annotator, n):
        project.submit(lease, int(DIGITS.target[int(lease.item_key)]))


def priorities(project: Project) -> dict[str, float]:
    with project.db.read() as conn:
        rows = conn.exec_driver_sql("SELECT key, priority FROM items").all()
    return {key: value for key, value in rows}


def test_too_few_labels_explains_what_is_missing(db: Database) -> None:
    project = digits_project(db)
    project.use_model(small_lr)
    report = project.retrain()
    assert report.run_id is None
    assert "no labels yet" in report.message
    label(project, 1)
    assert "at least 2 classes" in project.retrain().message
    assert set(priorities(project).values()) == {0.0}
    assert project.model_runs.empty


def test_retrain_puts_the_most_uncertain_items_first(db: Database) -> None:
    project = digits_project(db)
    project.use_model(small_lr, "entropy")
    label(project, 40)
    report = project.retrain()
    assert report.run_id == 1 and report.n_labels == 40
    assert 0.5 < report.score <= 1.0
    model = project.load_model()
    pool = [item for item in project.items() if item.key not in set(project.labels["item_key"])]
    scores = entropy(model.predict_proba(np.stack([i.value.ravel() for i in pool])))
    most_uncertain = pool[int(np.argmax(scores))].key
    assert project.claim("second")[0].item_key == most_uncertain


def test_a_run_is_recorded_with_counts_timings_and_predictions(db: Database) -> None:
    project = digits_project(db)
    project.use_model(small_lr, "margin")
    label(project, 40)
    project.retrain()
    label(project, 20)
    report = project.retrain()
    assert "write" in report.details["timings"]  # known only after the run row is written
    runs = project.model_runs
    assert runs["n_labels"].tolist() == [40, 60]
    details = runs["details"].iloc[-1]
    assert details["acquisition"] == "margin"
    assert sum(details["class_counts"].values()) == 60
    assert set(details["timings"]) >= {"read", "fit", "evaluate", "predict", "acquire"}
    assert details["agreement"] is not None and 0 <= details["stop"]["settled"] <= 1
    with db.read() as conn:
        n_predictions = conn.exec_driver_sql("SELECT count(*) FROM predictions").scalar()
    assert n_predictions == 300


def test_finished_when_nothing_is_left(db: Database) -> None:
    project = digits_project(db, n=40)
    project.use_model(small_lr)
    label(project, 40)
    report = project.retrain()
    assert report.finished and "nothing left to label" in report.message


def test_ties_between_annotators_are_left_out(db: Database) -> None:
    project = digits_project(db, n=60, k=2)
    project.use_model(small_lr)
    label(project, 60)
    leases = project.claim("second", 60)
    for lease in leases:
        truth = int(DIGITS.target[int(lease.item_key)])
        disagree = int(lease.item_key) < 5
        project.submit(lease, (truth + 1) % 10 if disagree else truth)
    report = project.retrain()
    assert report.details["ties_left_out"] == 5
    assert report.n_labels == 55
    assert "5 items left out" in report.message


def test_multilabel_projects_train_one_model_per_option(db: Database) -> None:
    project = Project(db, "tags", options=["even", "big"], multilabel=True)
    project.add_items(DIGITS.images[:120], progress=False)
    project.add_annotator("oracle")
    for lease in project.claim("oracle", 80):
        digit = int(DIGITS.target[int(lease.item_key)])
        project.submit(lease, [t for t, on in (("even", digit % 2 == 0), ("big", digit > 4)) if on])
    project.use_model(small_lr, "entropy")
    report = project.retrain()
    assert report.run_id is not None
    assert report.details["class_counts"]["even"] > 0


def test_committee_and_diverse_strategies_run(db: Database) -> None:
    project = digits_project(db)
    label(project, 50)
    report = project.retrain("tests.factories:small_forest", acquisition="vote_entropy")
    assert report.details["acquisition"] == "vote_entropy"
    report = project.retrain(small_lr, acquisition="margin", batch_size=10, diverse=True)
    assert report.details["acquisition"] == "margin+diverse(10)"
    top = sorted(priorities(project).items(), key=lambda kv: -kv[1])[:10]
    assert all(value > 1.0 for _, value in top)


class NoProba:
    def fit(self, x: object, y: object) -> NoProba:
        return self


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": NoProba()}, "predict_proba"),
        ({"model": small_lr, "acquisition": "confusion"}, "confusion"),
        ({"model": "nowhere.module:factory"}, "cannot load model factory"),
        ({"model": small_lr, "shuffle_prop": 2.0}, "shuffle_prop"),
        ({"model": small_lr, "diverse": True}, "needs batch_size"),
    ],
)
def test_bad_model_or_strategy_is_named_and_priorities_untouched(
    db: Database, kwargs: dict[str, object], message: str
) -> None:
    project = digits_project(db)
    label(project, 40)
    options = dict(kwargs)
    model = options.pop("model")
    with pytest.raises(InvalidInputError, match=message):
        project.retrain(model, **options)
    assert set(priorities(project).values()) == {0.0}


def test_preprocess_returning_other_lengths_is_refused(db: Database) -> None:
    project = digits_project(db)
    label(project, 40)
    project.use_model(small_lr, preprocess=lambda x, y: (x[:-1], None if y is None else y[:-1]))
    with pytest.raises(InvalidInputError, match="one row per item"):
        project.retrain()
    assert set(priorities(project).values()) == {0.0}


def test_preprocess_turns_items_into_features(db: Database) -> None:
    project = Project(db, "text", options=["short", "long"])
    words = ["a", "bb", "a b c d e f", "x", "long long text here", "y z w v u t"] * 10
    project.add_items(words, progress=False)
    project.add_annotator("oracle")
    for lease in project.claim("oracle", 20):
        project.submit(lease, "long" if len(project.item(lease.item_key)) > 3 else "short")

    def lengths(x: object, y: object) -> tuple[np.ndarray, object]:
        return np.array([[len(t)] for t in x]), y  # type: ignore[attr-defined]

    project.use_model(LogisticRegression(), preprocess=lengths)
    assert project.retrain().run_id == 1


def test_model_saved_as_a_factory_string_is_used_by_a_fresh_project_object(db: Database) -> None:
    project = digits_project(db)
    project.use_model("tests.factories:small_lr", "certainty", shuffle_prop=0.1)
    label(project, 40)
    report = Project(db, "digits").retrain()
    assert report.details["acquisition"] == "certainty"
    assert report.details["shuffle_prop"] == 0.1


def test_requeue_asks_a_different_annotator(db: Database) -> None:
    project = digits_project(db, n=3)
    label(project, 3)
    project.requeue(["1"])
    assert project.claim("oracle", 5) == []
    lease = project.claim("second", 5)
    assert [lease.item_key for lease in lease] == ["1"]


def test_suspect_labels_finds_flipped_labels(db: Database) -> None:
    project = digits_project(db, n=400)
    flipped = {"3", "50", "120", "200", "333"}
    for lease in project.claim("oracle", 400):
        truth = int(DIGITS.target[int(lease.item_key)])
        project.submit(lease, (truth + 3) % 10 if lease.item_key in flipped else truth)
    suspects = project.suspect_labels(top=10, model=small_lr)
    assert list(suspects.columns) == ["key", "label", "suggested", "p_label", "score"]
    assert len(flipped & set(suspects["key"])) >= 4
