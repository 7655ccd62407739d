"""Checking output against the JSON Schemas the package publishes (ctlbuild/reports/schemas/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def validate(data, schema_path: Path) -> None:
    """``data`` follows the schema at ``schema_path``, itself a valid Draft 2020-12 schema."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
