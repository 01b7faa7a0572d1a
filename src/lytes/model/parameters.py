"""The parameter table: one row per parameter with value, unit, evidence grade, description and source.

Values are stored in the units a reader expects ("12 mmol/day", "3 min") and converted to the units the equations
use when the model is assembled.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

EVIDENCE = {"E": "well established", "S": "one study or source", "M": "modelling choice or derived", "U": "uncertain"}


@dataclass(frozen=True)
class Parameter:
    name: str
    value: float
    unit: str
    evidence: str
    description: str
    source: str


@functools.lru_cache(maxsize=1)
def table() -> dict[str, Parameter]:
    text = resources.files("lytes.data").joinpath("parameters.csv").read_text(encoding="utf-8")
    rows: dict[str, Parameter] = {}
    for row in csv.DictReader(text.splitlines()):
        if row["name"] in rows:
            raise ValueError(f"parameter {row['name']!r} appears twice in parameters.csv")
        if row["evidence"] not in EVIDENCE:
            raise ValueError(f"parameter {row['name']!r}: evidence {row['evidence']!r} not one of {list(EVIDENCE)}")
        if not row["source"].strip():
            raise ValueError(f"parameter {row['name']!r} has no source")
        rows[row["name"]] = Parameter(
            row["name"], float(row["value"]), row["unit"], row["evidence"], row["description"], row["source"]
        )
    return rows
