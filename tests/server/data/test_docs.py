"""docs/data-api.md documents every route, parameter, operator, table, column, setting
and publish option; every route and option also carries its own help text."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from fastapi.testclient import TestClient

from labelloop.store.publish import publish_command
from labelloop.store.query import OPERATORS, PARAMETERS, TABLES, DataSettings

DOC = (Path(__file__).parents[3] / "docs" / "data-api.md").read_text()


def test_every_route_is_documented_with_a_summary_and_a_description(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert len(paths) >= 7
    for path, methods in paths.items():
        documented = re.sub(r"\{[a-z_]+\}$", "", path)
        assert documented in DOC, path
        for method, operation in methods.items():
            assert operation.get("summary") and operation.get("description"), (method, path)
            assert f"{method.upper()} {documented}" in DOC, (method, path)


def test_every_parameter_operator_and_shape_is_documented() -> None:
    for name in [*PARAMETERS, "_shape", "_stream", *OPERATORS]:
        assert f"`{name}" in DOC, name
    for shape in ("objects", "arrays", "array"):
        assert f"`_shape={shape}`" in DOC, shape


def test_every_table_and_column_is_documented() -> None:
    for spec in TABLES.values():
        assert f"`{spec.name}`" in DOC
        for column in spec.columns:
            assert f"`{column.name}`" in DOC or f"`{column.name}" in DOC, (spec.name, column.name)


def test_every_setting_is_documented() -> None:
    for field in dataclasses.fields(DataSettings):
        assert f"`{field.name}`" in DOC, field.name


def test_every_publish_option_is_documented_and_has_help() -> None:
    for param in publish_command.params:
        for flag in getattr(param, "opts", []):
            if flag.startswith("--"):
                assert flag in DOC, flag
                assert getattr(param, "help", None), flag
    assert publish_command.help
