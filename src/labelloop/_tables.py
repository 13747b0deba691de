"""Building pandas tables of items and their labels (pandas is imported lazily)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from labelloop.store import label_values
from labelloop.store.projects import ProjectSettings

if TYPE_CHECKING:
    import pandas as pd

ITEM_COLUMNS = ["key", "kind", "label", "n_labels", "agreement"]


def agreed(values: list[str]) -> tuple[str | None, float]:
    """The majority value and the share of labels that agree with it (None on a tie)."""
    counts = Counter(values).most_common()
    if not counts:
        return None, float("nan")
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None, counts[0][1] / len(values)
    return counts[0][0], counts[0][1] / len(values)


def items_frame(
    item_rows: Iterable[dict[str, Any]],
    label_rows: Iterable[dict[str, Any]],
    settings: ProjectSettings,
) -> pd.DataFrame:
    """One row per item: key, kind, agreed label, label count, agreement, metadata."""
    import pandas as pd

    by_key: defaultdict[str, list[str]] = defaultdict(list)
    for row in label_rows:
        by_key[row["item_key"]].append(row["value"])
    records, metas = [], []
    for item in item_rows:
        value, agreement = agreed(by_key.get(item["key"], []))
        label = None if value is None else label_values.from_text(settings, value)
        records.append((item["key"], item["kind"], label, len(by_key[item["key"]]), agreement))
        metas.append(item["meta"] or {})
    frame = pd.DataFrame.from_records(records, columns=ITEM_COLUMNS)
    frame["label"] = pd.Series([r[2] for r in records], dtype=object)
    if any(metas):
        meta = pd.DataFrame.from_records(metas)
        meta.columns = [f"meta_{c}" if c in ITEM_COLUMNS else str(c) for c in meta.columns]
        frame = pd.concat([frame, meta], axis=1)
    return frame
