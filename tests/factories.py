"""Model factories the tests name as 'tests.factories:NAME' (also from subprocesses)."""

from __future__ import annotations

from typing import Any

from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler


def small_lr() -> Any:
    return make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=300))


def small_forest() -> Any:
    return RandomForestClassifier(n_estimators=15, random_state=0)
