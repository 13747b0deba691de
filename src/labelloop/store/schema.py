"""The store's tables, as SQLAlchemy Core metadata.

One database holds many projects. Labels are append-only: a new annotation is
a new row; a changed label is a new row that ``replaces`` the old one; undo
marks a row ``undone_at``. A label's ``value`` is never rewritten.

The claim index ``ix_items_claim`` is what keeps claiming flat as the pool
fills: ``claimable`` items of a project sorted by ``priority`` then
``position`` are a range scan from its start.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 1

metadata = sa.MetaData()

Timestamp = sa.DateTime(timezone=True)

meta = sa.Table(
    "labelloop_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("multilabel", sa.Boolean, nullable=False, default=False),
    sa.Column("allow_other", sa.Boolean, nullable=False, default=False),
    sa.Column("k", sa.Integer, nullable=False, default=1),
    sa.Column("lease_seconds", sa.Float, nullable=False, default=600.0),
    sa.Column("order_by", sa.String(16), nullable=False, default="insertion"),
    sa.Column("seed", sa.Integer, nullable=False, default=0),
    sa.Column("media_root", sa.Text, nullable=True),
    sa.Column("settings", sa.JSON, nullable=False),
    # bumped by every add_items call, so cached features know to reload
    sa.Column("items_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", Timestamp, nullable=False),
)

annotators = sa.Table(
    "annotators",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    # annotator: labels; reviewer: also reads the data API; admin: everything
    sa.Column("role", sa.String(16), nullable=False, server_default="annotator"),
    sa.Column("created_at", Timestamp, nullable=False),
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id"), primary_key=True),
)

# one-time login links and browser sessions; only hashes of the tokens are stored
login_tokens = sa.Table(
    "login_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id"), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("used_at", sa.Float, nullable=True),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id"), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("key", sa.String(400), nullable=False),
    # insertion order, or a seeded random rank: the tie-breaker after priority
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("priority", sa.Float, nullable=False, default=0.0),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("dtype", sa.Text, nullable=True),
    sa.Column("shape", sa.String(200), nullable=True),
    sa.Column("data", sa.LargeBinary, nullable=True),
    sa.Column("content", sa.Text, nullable=True),
    sa.Column("meta", sa.JSON, nullable=True),
    # distinct annotators holding a current label / a lease on this item
    sa.Column("n_labels", sa.Integer, nullable=False, default=0),
    sa.Column("n_leases", sa.Integer, nullable=False, default=0),
    # labels asked for beyond k (requeue: "one more opinion, from someone else")
    sa.Column("extra_labels", sa.Integer, nullable=False, server_default="0"),
    # n_labels + n_leases < project.k + extra_labels, kept in step by every queue write
    sa.Column("claimable", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("project_id", "key", name="uq_items_project_key"),
    sa.Index(
        "ix_items_claim",
        "project_id",
        "claimable",
        sa.desc("priority"),
        "position",
    ),
    sa.Index("ix_items_done", "project_id", "n_labels"),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("item_id", sa.BigInteger, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id"), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),  # epoch seconds
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_leases_expiry", "project_id", "expires_at"),
    sa.Index("ix_leases_item_annotator", "item_id", "annotator_id"),
    sa.Index("ix_leases_annotator", "annotator_id", "project_id"),
)

labels = sa.Table(
    "labels",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("item_id", sa.BigInteger, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id"), nullable=False),
    # plain text for single-label projects, a JSON array for multi-label ones
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("time_taken", sa.Float, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    # the lease this label was submitted on: makes submit idempotent
    sa.Column("lease_id", sa.String(40), nullable=True, unique=True),
    sa.Column("replaces", sa.BigInteger, nullable=True),
    sa.Column("current", sa.Boolean, nullable=False, default=True),
    sa.Column("undone_at", Timestamp, nullable=True),
    sa.Index("ix_labels_item", "item_id", "annotator_id"),
    sa.Index("ix_labels_project_current", "project_id", "current", "item_id"),
    sa.Index("ix_labels_annotator", "annotator_id", "project_id", "current", "id"),
    # for the data API: keyset pages by id, facets on value and annotator
    sa.Index("ix_labels_project_id", "project_id", "id"),
    sa.Index("ix_labels_project_value", "project_id", "value"),
    sa.Index("ix_labels_project_annotator", "project_id", "annotator_id"),
)

skips = sa.Table(
    "skips",
    metadata,
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("item_id", sa.BigInteger, sa.ForeignKey("items.id"), primary_key=True),
    sa.Column("annotator_id", sa.Integer, sa.ForeignKey("annotators.id"), primary_key=True),
    sa.Column("created_at", Timestamp, nullable=False),
)

model_runs = sa.Table(
    "model_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("n_labels", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Index("ix_model_runs_project", "project_id", "id"),
)

predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("item_id", sa.BigInteger, sa.ForeignKey("items.id"), primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("model_runs.id"), nullable=False),
    # the predicted label (stored text, like labels.value) and its probability
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Index("ix_predictions_project", "project_id", "label"),
)

model_blobs = sa.Table(
    "model_blobs",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("model_runs.id"), primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),  # joblib dump of the fitted model
)
