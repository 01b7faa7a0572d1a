"""The scenario file format (YAML): structure checked by pydantic, quantities parsed with units by pint.

Every error names the field (e.g. ``interventions[1].rate``), the value, and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError

MAX_DURATION_H = 5 * 365.25 * 24
MAX_HISTORY_H = 20 * 365.25 * 24  # a history (before t = 0) may go back 20 years (long PPI use)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PatientSpec(_Strict):
    weight: str = "70 kg"
    sex: str = "male"
    age: str = "40 y"
    egfr: str | None = None
    creatinine: str | None = None
    conditions: list[str | dict[str, Any]] = Field(default_factory=list)
    labs: dict[str, str] | None = None


class DietSpec(_Strict):
    K: str | None = None
    Mg: str | None = None
    Na: str | None = None
    Ca: str | None = None
    foods: dict[str, str | int | float] | None = None


class MedicationSpec(_Strict):
    drug: str
    dose: str
    every: str = "24 h"
    route: str | None = None
    at: str = "0 h"
    for_: str | None = Field(None, alias="for")


class InterventionSpec(_Strict):
    at: str
    give: str | None = None
    event: str | None = None
    route: str | None = None
    dose: str | None = None
    over: str | None = None
    rate: str | None = None
    every: str | None = None
    for_: str | None = Field(None, alias="for")
    volume: str | None = None
    concentration: str | None = None
    glucose: str | None = None
    muscle: str | None = None
    # dialysis (scenario/dialysis.py): sessions on weekdays or at an interval, CRRT, peritoneal dialysis
    dialysate: dict[str, str] | None = None
    blood_flow: str | None = None
    effluent: str | None = None
    fluid: dict[str, str] | None = None
    days: list[str] | None = None
    start_day: str | None = None
    times: int | None = None
    until: str | None = None
    exchanges: int | None = None
    dwell: str | None = None
    fill: str | None = None
    diet: DietSpec | None = None


class HistorySpec(_Strict):
    duration: str
    diet: DietSpec | None = None
    medications: list[MedicationSpec] = Field(default_factory=list)
    interventions: list[InterventionSpec] = Field(default_factory=list)
    conditions: list[str | dict[str, Any]] = Field(default_factory=list)


class ArmSpec(_Strict):
    description: str = ""
    interventions: list[InterventionSpec] = Field(default_factory=list)
    medications: list[MedicationSpec] = Field(default_factory=list)


class Scenario(_Strict):
    """A scenario: who the patient is, what they eat and take, what is given, for how long, and which arms."""

    name: str = "unnamed scenario"
    description: str = ""
    patient: PatientSpec = Field(default_factory=PatientSpec)
    diet: DietSpec = Field(default_factory=DietSpec)
    medications: list[MedicationSpec] = Field(default_factory=list)
    interventions: list[InterventionSpec] = Field(default_factory=list)
    history: HistorySpec | None = None
    arms: dict[str, ArmSpec] | None = None
    duration: str = "7 d"
    sources: list[str] = Field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Any, origin: str = "scenario") -> Scenario:
        if not isinstance(data, dict):
            raise InputError(
                origin, type(data).__name__, "a mapping with keys name, patient, diet, interventions, duration"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _first_error(exc) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError("scenario", str(path), f"a readable YAML file ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            raise InputError("scenario", str(path), f"valid YAML{where}") from None
        return cls.from_dict(data, origin=str(path))


def _first_error(exc: ValidationError) -> InputError:
    err = exc.errors()[0]
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    path = path.replace("for_", "for")
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden" and len(err["loc"]) >= 3 and err["loc"][0] == "arms":
        return InputError(
            path,
            value,
            "arms share the patient, history and diet; an arm may set only interventions, medications and description",
        )
    if kind == "extra_forbidden":
        parent = path.rsplit(".", 1)[0] if "." in path else "scenario"
        return InputError(path, value, f"no such key here; see the keys allowed in '{parent}' in the README")
    if kind == "missing":
        return InputError(path, None, "this key is required")
    if kind in ("string_type",) or (kind.endswith("_type") and isinstance(value, (int, float))):
        return InputError(path, value, "a text value with a unit, e.g. '4 g'")
    if kind == "list_type":
        return InputError(
            path, value, "a list (one '- item' per line, or [a, b]), e.g. interventions: [{at: 0 h, ...}]"
        )
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return InputError(path, value, "a mapping of keys to values, e.g. {weight: 70 kg, sex: male}")
    return InputError(path, value, err["msg"])


def load(source) -> Scenario:
    """A Scenario from a Scenario, a dict, a YAML path, or the name of a built-in scenario."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, dict):
        return Scenario.from_dict(source)
    from .catalog import builtin_path, names

    text = str(source)
    if text in names():
        return Scenario.from_yaml(builtin_path(text))
    if Path(text).exists():
        return Scenario.from_yaml(text)
    raise InputError("scenario", text, f"a YAML file path or a built-in scenario ({', '.join(names())})")
