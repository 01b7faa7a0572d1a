"""The population spec (YAML): a scenario, the distributions of patient covariates and of model parameters, subgroups
and targets - checked in full before any patient runs, every error one line naming the field.

```yaml
name: MgSO4 regimens in pre-eclampsia
scenario: mgso4_preeclampsia          # a built-in scenario, a YAML path (relative to this file) or an inline mapping
every: 15 min                         # output interval (default: 15 min up to 2 days, 1 h up to 14 days)
quantities: [Mg_serum, K_serum]       # the series kept for every patient (the targets' are added)
covariates:                           # weight, height, age, sex, egfr or creatinine, pregnancy, labs (K, Mg, Ca)
  weight: {dist: lognormal, median: 80 kg, cv: 20 %, min: 45 kg, max: 160 kg}
  age: {dist: uniform, low: 18 y, high: 42 y}
  sex: female
subgroups:                            # strata with their share of the population, each overriding covariates
  eGFR >= 90: {share: 40 %, covariates: {egfr: {dist: uniform, low: 90 mL/min/1.73m2, high: 160 mL/min/1.73m2}}}
parameters:                           # model parameters (names from `lytes params`)
  by_evidence: {E: 5 %, S: 10 %, M: 15 %, U: 25 %}   # or true (these defaults) or false
  fixed: [K_o_ref]                    # held at the table value
  cv: {Na_o_ref: 1.5 %}               # a parameter's own CV
  distributions: {ROMK_Mg_block_K: {dist: uniform, low: 0.2 mmol/L, high: 0.35 mmol/L}}
targets:
  - {name: Mg 1.8-3.0, kind: target, quantity: Mg_serum, within: [1.8 mmol/L, 3.0 mmol/L], at: [4 h, 12 h, 24 h]}
  - {kind: toxicity, quantity: Mg_serum, above: 3.5 mmol/L, by: [12 h, 24 h]}
```
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from . import distributions as dists

MAX_N = 100_000
MAX_VALUES = 2_000_000_000  # patients x arms x times x quantities kept (16 GB as float64 on disk)
MAX_SUBGROUPS = 50
MAX_TARGETS = 100
DEFAULT_QUANTITIES = ("K_serum", "Mg_serum", "Ca_ionized")

# The default CV of a parameter by the evidence grade of its row in the parameter table (a modelling choice: the
# weaker the evidence, the wider the spread). The spread stands for both the differences between patients and what
# is not known about the parameter; read the bands as plausible patients, not as a trial's prediction interval.
DEFAULT_CV = {"E": 0.05, "S": 0.10, "M": 0.15, "U": 0.25}

# Never varied by grade (a spec may still give them a cv or a distribution): why, in a few words.
FIXED_BY_DEFAULT = {
    "RT_over_F": "a physical constant",
    "gfr_ref": "the calibration point of the reference kidney (the patient's eGFR is a covariate)",
    "diet_K_ref": "a calibration point (the patient's diet is the scenario's)",
    "diet_Na_ref": "a calibration point (the patient's diet is the scenario's)",
    "diet_Mg_ref": "a calibration point (the patient's diet is the scenario's)",
    "diet_Ca_ref": "a calibration point (the patient's diet is the scenario's)",
    "Cl_o_ref": "taken as constant in the model",
    "Mg_DCT_splay": "the curvature of a smooth switch, not physiology",
    "Em_ref": "bound to the K Nernst potential of K_o_ref and K_i_ref, above which it must lie (it follows them)",
    "K_o_ref": "the reference serum K, with K_i_ref bound to Em_ref (the Nernst potential must stay below it); a "
    "patient's own serum K is a covariate (labs.K)",
    "K_i_ref": "the reference cell K, bound to Em_ref through the K Nernst potential with K_o_ref",
}
# a bounded share: varied on the log-odds scale, so it stays between 0 and 1 (the smaller of p and 1 - p varies by
# about the CV); every other parameter is varied lognormally (median the table value), keeping its sign
_SHARE_WORDS = ("fraction", "share", "block", "floor", "reabsorption", "tone")

# covariates: (canonical unit, lowest, highest, how it is written)
NUMERIC = {
    "weight": ("kg", 2.0, 400.0, "a body weight, e.g. '70 kg'"),
    "height": ("cm", 40.0, 250.0, "a height, e.g. '165 cm'"),
    "age": ("year", 0.0, 120.0, "an age, e.g. '40 y'"),
    "egfr": ("mL/min", 0.0, 250.0, "an eGFR, e.g. '90 mL/min/1.73m2'"),
    "creatinine": ("mg/dL", 0.1, 30.0, "a serum creatinine in mg/dL or umol/L"),
}
LAB_IONS = ("K", "Mg", "Ca")
# one uniform number per slot and patient, in this order (so a patient's draws never depend on the other slots)
# (height came last: adding it left every earlier slot's numbers as they were)
SLOTS = (
    "subgroup",
    "weight",
    "age",
    "sex",
    "egfr",
    "creatinine",
    "pregnancy",
    "labs.K",
    "labs.Mg",
    "labs.Ca",
    "height",
)
COVARIATE_KEYS = ("weight", "height", "age", "sex", "egfr", "creatinine", "pregnancy", "labs")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SubgroupSpec(_Strict):
    share: str | float
    description: str = ""
    covariates: dict[str, Any] = Field(default_factory=dict)


class ParametersSpec(_Strict):
    by_evidence: bool | dict[str, str | float] = False
    fixed: list[str] = Field(default_factory=list)
    cv: dict[str, str | float] = Field(default_factory=dict)
    distributions: dict[str, dict[str, Any]] = Field(default_factory=dict)


class TargetSpec(_Strict):
    name: str | None = None
    kind: str = "target"
    quantity: str
    within: list[str] | None = None
    above: str | None = None
    below: str | None = None
    at: str | list[str] | None = None
    by: str | list[str] | None = None


class PopulationSpec(_Strict):
    name: str = "unnamed population"
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    scenario: str | dict[str, Any]
    every: str | None = None
    quantities: list[str] | None = None
    covariates: dict[str, Any] = Field(default_factory=dict)
    subgroups: dict[str, SubgroupSpec] | None = None
    parameters: ParametersSpec | None = None
    targets: list[TargetSpec] = Field(default_factory=list)


# ----------------------------------------------------------------------------------------------- compiled plan
@dataclass(frozen=True)
class Subgroup:
    name: str
    share: float
    covariates: dict  # name -> Distribution (labs as "labs.K")
    description: str = ""


@dataclass(frozen=True)
class ParamVar:
    index: int  # row of the parameter table: the patient's z for it is z[index]
    name: str
    kind: str  # "log" | "logit" | "dist"
    center: float
    sigma: float = 0.0
    dist: Any = None


@dataclass(frozen=True)
class Target:
    label: str
    kind: str  # "target" | "toxicity"
    quantity: str
    op: str  # "within" | "above" | "below"
    lo: float
    hi: float
    mode: str  # "at" | "by"
    time_h: float
    unit: str

    def condition(self) -> str:
        if self.op == "within":
            text = f"{self.quantity} {self.lo:g}-{self.hi:g} {self.unit}"
        elif self.op == "above":
            text = f"{self.quantity} > {self.lo:g} {self.unit}"
        else:
            text = f"{self.quantity} < {self.hi:g} {self.unit}"
        when = f"at {self.time_h:g} h" if self.mode == "at" else f"at any time by {self.time_h:g} h"
        return f"{text} {when}"

    def met(self, time_h: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Whether the target is met, for each row of ``values`` (patients x times) on the output grid ``time_h``;
        NaN where the patient's values are missing (a failed run)."""
        values = np.atleast_2d(values)
        if self.mode == "at":
            v = np.array([np.interp(self.time_h, time_h, row) for row in values])[:, None]
        else:  # any output time from 0 to time_h, and time_h itself
            keep = time_h <= self.time_h + 1e-9
            end = np.array([np.interp(self.time_h, time_h, row) for row in values])[:, None]
            v = np.concatenate([values[:, keep], end], axis=1)
        if self.op == "within":
            hit = (v >= self.lo) & (v <= self.hi)
        elif self.op == "above":
            hit = v > self.lo
        else:
            hit = v < self.hi
        out = hit.any(axis=1).astype(float)
        out[np.isnan(values).any(axis=1)] = np.nan
        return out


@dataclass
class Plan:
    """A checked spec, ready to draw and run patient by patient (picklable: it travels to worker processes)."""

    name: str
    description: str
    sources: list[str]
    scenario: Any  # lytes.scenario.Scenario
    arms: tuple[str, ...]
    time_h: np.ndarray
    every_h: float
    quantities: tuple[str, ...]
    units: dict[str, str]
    covariates: dict  # name -> Distribution
    subgroups: tuple[Subgroup, ...]
    parameters: tuple[ParamVar, ...]
    n_table: int
    targets: tuple[Target, ...]
    parameter_text: str = ""
    arm_descriptions: dict = field(default_factory=dict)

    @property
    def subgroup_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.subgroups)


# ----------------------------------------------------------------------------------------------- loading
def names() -> list[str]:
    """The built-in population specs (``src/lytes/builtins/populations``)."""
    folder = _folder()
    return sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".yaml"))


def _folder():
    from importlib import resources

    return resources.files("lytes.builtins").joinpath("populations")


def read(source) -> tuple[dict, Path | None]:
    """The spec's data and the folder it came from (for a scenario path written relative to it)."""
    from ..scenario.schema import _read_yaml

    if isinstance(source, dict):
        return source, None
    if isinstance(source, PopulationSpec):
        return source.model_dump(by_alias=True, exclude_none=True), None
    text = str(source)
    if text in names():
        path = _folder().joinpath(f"{text}.yaml")
        return _read_yaml(Path(str(path))), Path(str(path)).parent
    try:
        exists = Path(text).is_file()
    except (OSError, ValueError):
        exists = False
    if exists:
        return _read_yaml(Path(text)), Path(text).parent
    raise InputError("population", text, f"a population spec YAML file or a built-in population ({', '.join(names())})")


def load(source, every: str | float | None = None) -> Plan:
    """A Plan from a spec (a dict, a YAML path or a built-in name); ``every`` (hours or text) overrides the spec's."""
    from ..scenario.schema import _check_texts, _first_error

    data, folder = read(source)
    if not isinstance(data, dict):
        raise InputError("population", type(data).__name__, "a mapping with keys scenario, covariates, targets, ...")
    _check_texts(data)
    try:
        spec = PopulationSpec.model_validate(data)
    except ValidationError as exc:
        err = _first_error(exc)
        raise InputError(err.field, err.value, _allowed_keys(err), err.reason) from None
    return compile_spec(spec, folder, every)


LISTS = {
    "targets": "a list of targets, e.g. [{quantity: Mg_serum, above: 3.5 mmol/L, by: 24 h}]",
    "quantities": "a list of result series, e.g. [Mg_serum, K_serum]",
    "sources": "a list of references",
}


def _allowed_keys(err: InputError) -> str:
    """What is allowed, said for a population spec (pydantic's own text points at the scenario's README)."""
    if err.field == "scenario" and err.value is None:
        return "a scenario: a built-in name, a YAML path or a mapping (patient, interventions, arms, duration)"
    if err.field in LISTS and not isinstance(err.value, list):
        return LISTS[err.field]
    if "no such key here" not in err.allowed:
        return err.allowed
    parent = err.field.rsplit(".", 1)[0] if "." in err.field else ""
    where = {
        "": PopulationSpec,
        "parameters": ParametersSpec,
    }.get(parent)
    if where is None and parent.startswith("subgroups."):
        where = SubgroupSpec
    if where is None and parent.startswith("targets["):
        where = TargetSpec
    if where is None:
        return err.allowed
    keys = [f.alias or k for k, f in where.model_fields.items()]
    return f"one of the keys {', '.join(keys)}"


def compile_spec(spec: PopulationSpec, folder: Path | None = None, every: str | float | None = None) -> Plan:
    from ..result import DIGOXIN_SERIES, SERIES
    from ..scenario import load as load_scenario
    from ..scenario.regimen import compile_regimen
    from ..simulation import _grid
    from ..units import parse

    scenario = _scenario(spec.scenario, folder, load_scenario)
    try:  # the scenario itself is checked once here, so a broken one is one error, not N failed patients
        reg = compile_regimen(scenario)
        for arm in scenario.arms or {}:
            compile_regimen(scenario, arm)
    except InputError as exc:
        raise _prefixed(exc, "scenario") from None
    duration = reg.duration
    if every is None and spec.every is not None:
        every = spec.every
    if isinstance(every, str):
        every_h = parse(every, "every", "h", "an output interval such as '15 min' or '1 h'")
    elif every is not None:
        every_h = float(every)
    else:
        every_h = 0.25 if duration <= 48 else (1.0 if duration <= 14 * 24 else duration / 500)
    time_h = _grid(duration, every_h)

    series = {**SERIES, **DIGOXIN_SERIES}
    targets = tuple(_targets(spec.targets, series, duration))
    quantities = list(spec.quantities) if spec.quantities is not None else list(DEFAULT_QUANTITIES)
    for i, q in enumerate(quantities):
        if q not in series:
            raise InputError(f"quantities[{i}]", q, f"result series names ({', '.join(SERIES)})")
    for t in targets:
        if t.quantity not in quantities:
            quantities.append(t.quantity)
    if not quantities:
        raise InputError("quantities", [], "at least one result series, e.g. [Mg_serum, K_serum]")
    quantities = tuple(dict.fromkeys(quantities))

    base = _covariates(spec.covariates, "covariates")
    subgroups = []
    if spec.subgroups:
        if len(spec.subgroups) > MAX_SUBGROUPS:
            raise InputError("subgroups", f"{len(spec.subgroups)} subgroups", f"at most {MAX_SUBGROUPS} subgroups")
        total = 0.0
        for name, sub in spec.subgroups.items():
            where = f"subgroups.{name}"
            share = dists.fraction(sub.share, f"{where}.share", "a share of the population")
            covs = {**base, **_covariates(sub.covariates, f"{where}.covariates")}
            _one_kidney_measure(covs, sub.covariates, f"{where}.covariates")
            subgroups.append(Subgroup(str(name), share, covs, sub.description))
            total += share
        if abs(total - 1) > 1e-6:
            raise InputError("subgroups", f"shares summing to {100 * total:.4g} %", "subgroup shares that sum to 100 %")
    else:
        _one_kidney_measure(base, spec.covariates, "covariates")
        subgroups.append(Subgroup("all", 1.0, base))
    parameters, n_table, text = _parameters(spec.parameters)
    arms = tuple(scenario.arms) if scenario.arms else ("main",)
    plan = Plan(
        name=spec.name,
        description=spec.description.strip(),
        sources=list(spec.sources),
        scenario=scenario,
        arms=arms,
        time_h=time_h,
        every_h=every_h,
        quantities=quantities,
        units={q: series[q][0] for q in quantities},
        covariates=base,
        subgroups=tuple(subgroups),
        parameters=parameters,
        n_table=n_table,
        targets=targets,
        parameter_text=text,
        arm_descriptions={a: s.description for a, s in (scenario.arms or {}).items()},
    )
    return plan


def _prefixed(exc: InputError, prefix: str) -> InputError:
    return InputError(f"{prefix}.{exc.field}", exc.value, exc.allowed, exc.reason)


def _scenario(source, folder: Path | None, load_scenario):
    if isinstance(source, dict):
        try:
            return load_scenario(source)
        except InputError as exc:
            raise _prefixed(exc, "scenario") from None
    from ..scenario.catalog import names as scenario_names

    text = str(source)
    if text not in scenario_names() and folder is not None and not Path(text).is_absolute():
        near = folder / text
        if near.is_file():
            text = str(near)
    try:
        return load_scenario(text)
    except InputError as exc:
        if exc.field == "scenario":
            raise InputError("scenario", source, exc.allowed, exc.reason) from None
        raise _prefixed(exc, "scenario") from None


# ----------------------------------------------------------------------------------------------- covariates
def _quantity(unit: str, what: str):
    from ..units import parse, split

    def read(text, field: str) -> float:
        if unit == "mg/dL":  # creatinine: mg/dL or umol/L
            number, written = split(text, field)
            if written.lower() in ("umol/l", "µmol/l"):
                return number / 88.42
        return parse(text, field, unit, what)

    return read


def _lab(ion: str):
    def read(text, field: str) -> float:
        from ..scenario.labs import parse_labs

        return parse_labs({ion: text}, field.rsplit(".", 1)[0])[ion]

    return read


def _sex(value, field: str) -> str:
    text = str(value).strip().lower()
    if text not in ("male", "female"):
        raise InputError(field, value, "'male' or 'female'")
    return text


def _yes_no(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "pregnant"):
        return True
    if text in ("no", "false", "not pregnant"):
        return False
    raise InputError(field, value, "yes or no (true or false)")


def _covariates(data: dict, where: str) -> dict:
    if not isinstance(data, dict):
        raise InputError(
            where, data, "a mapping of covariates (weight, height, age, sex, egfr, creatinine, pregnancy, labs)"
        )
    out = {}
    for key, spec in data.items():
        field = f"{where}.{key}"
        if key in NUMERIC:
            unit, low, high, what = NUMERIC[key]
            out[key] = dists.parse(spec, field, _quantity(unit, what), low=low, high=high, what=what)
        elif key == "sex":
            out[key] = dists.parse(spec, field, None, _sex, what="'male' or 'female'")
        elif key == "pregnancy":
            out[key] = dists.parse(spec, field, None, _yes_no, what="yes or no")
        elif key == "labs":
            if not isinstance(spec, dict):
                raise InputError(field, spec, "a mapping of labs to values or distributions, e.g. {K: 3.1 mmol/L}")
            from ..scenario.labs import ALIASES, LIVING_RANGE

            for name, lab in spec.items():
                ion = ALIASES.get(str(name).lower())
                if ion is None:
                    raise InputError(f"{field}.{name}", lab, "labs among K, Mg, Ca")
                low, high = LIVING_RANGE[ion]
                out[f"labs.{ion}"] = dists.parse(
                    lab, f"{field}.{name}", _lab(ion), low=low, high=high, what=f"a serum {ion} in mmol/L"
                )
        else:
            raise InputError(field, spec, f"a covariate among {', '.join(COVARIATE_KEYS)}")
    return out


def _one_kidney_measure(covs: dict, written: dict, where: str) -> None:
    if "egfr" in covs and "creatinine" in covs:
        key = "creatinine" if "creatinine" in written else "egfr"
        raise InputError(f"{where}.{key}", "egfr and creatinine", "one measure of kidney function: egfr or creatinine")


# ----------------------------------------------------------------------------------------------- parameters
def _share_word(name: str) -> bool:
    return any(w in name.lower() for w in _SHARE_WORDS)


def _is_share(row) -> bool:
    return row.unit == "1" and 0 < row.value < 1 and _share_word(row.name)


def _parameters(spec: ParametersSpec | None) -> tuple[tuple[ParamVar, ...], int, str]:
    from ..model.parameters import table

    rows = table()
    order = {name: i for i, name in enumerate(rows)}
    if spec is None:
        return (), len(rows), "model parameters at their table values (no parameter variability declared)"

    def known(name: str, field: str) -> None:
        if name not in rows:
            from difflib import get_close_matches

            near = get_close_matches(name, list(rows), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise InputError(field, name, f"a parameter name from the table (lytes params){hint}")

    cvs: dict[str, float] = {}
    if spec.by_evidence:
        grade_cv = dict(DEFAULT_CV)
        if isinstance(spec.by_evidence, dict):
            for grade, value in spec.by_evidence.items():
                if grade not in DEFAULT_CV:
                    raise InputError(f"parameters.by_evidence.{grade}", value, "evidence grades E, S, M, U")
                grade_cv[grade] = dists.fraction(value, f"parameters.by_evidence.{grade}", "a CV")
        for i, name in enumerate(spec.fixed):
            known(name, f"parameters.fixed[{i}]")
        fixed = set(FIXED_BY_DEFAULT) | set(spec.fixed)
        for name, row in rows.items():
            at_bound = _share_word(name) and row.unit == "1" and row.value >= 1  # a share at 1 (e.g. a maximum)
            if name not in fixed and not name.endswith("_width") and row.value != 0 and not at_bound:
                cvs[name] = grade_cv[row.evidence]
    for name, value in spec.cv.items():
        known(name, f"parameters.cv.{name}")
        cvs[name] = dists.fraction(value, f"parameters.cv.{name}", "a CV")
    out = {}
    for name, cv in cvs.items():
        if cv > 0:
            row = rows[name]
            sigma = math.sqrt(math.log1p(cv * cv))
            out[name] = ParamVar(order[name], name, "logit" if _is_share(row) else "log", row.value, sigma)
    for name, dspec in spec.distributions.items():
        field = f"parameters.distributions.{name}"
        known(name, field)
        row = rows[name]
        dist = dists.parse(dspec, field, _param_quantity(row.unit), what=f"a value in {row.unit}")
        out[name] = ParamVar(order[name], name, "dist", row.value, 0.0, dist)
    params = tuple(sorted(out.values(), key=lambda p: p.index))
    text = _describe_parameters(spec, params)
    return params, len(rows), text


def _param_quantity(unit: str):
    from ..units import parse

    def read(text, field: str) -> float:
        if unit == "1":
            if isinstance(text, (int, float)) and not isinstance(text, bool):
                return float(text)
            try:
                return float(text)
            except (TypeError, ValueError):
                pass
            match = dists._PERCENT.match(str(text))
            if match:
                return float(match.group(1)) / 100
            raise InputError(field, text, "a number (the parameter has no unit)")
        return parse(text, field, unit, f"a value convertible to {unit}")

    return read


def _describe_parameters(spec: ParametersSpec, params: tuple[ParamVar, ...]) -> str:
    if not params:
        return "model parameters at their table values"
    parts = []
    if spec.by_evidence:
        grade_cv = dict(DEFAULT_CV)
        if isinstance(spec.by_evidence, dict):
            grade_cv.update({g: dists.fraction(v, g) for g, v in spec.by_evidence.items()})
        parts.append(
            "CV by evidence grade "
            + ", ".join(f"{g} {100 * v:.0f} %" for g, v in grade_cv.items())
            + " (lognormal around the table value; shares on the log-odds scale)"
        )
    if spec.cv:
        parts.append("own CV: " + ", ".join(f"{k} {100 * dists.fraction(v, k):.3g} %" for k, v in spec.cv.items()))
    if spec.distributions:
        parts.append("own distributions: " + ", ".join(spec.distributions))
    return f"{len(params)} parameters varied: " + "; ".join(parts)


# ----------------------------------------------------------------------------------------------- targets
def _threshold(quantity: str, unit: str):
    from ..units import parse, split

    ion = {"K_serum": "K", "Mg_serum": "Mg", "Mg_ionized": "Mg", "Ca_ionized": "Ca", "Ca_total": "Ca"}.get(quantity)

    def read(text, field: str) -> float:
        if ion is not None:
            from ..scenario.products import ION_MOLAR_MASS, ION_VALENCE

            number, written = split(text, field)
            u = written.replace(" ", "").lower()
            if u == "mmol/l":
                return number
            if u == "meq/l":
                return number / ION_VALENCE[ion]
            if u == "mg/dl":
                return number * 10 / ION_MOLAR_MASS[ion]
            raise InputError(field, text, f"{quantity} in mmol/L, mEq/L or mg/dL")
        if unit in ("1", "%"):  # a number, or a number with this unit
            try:
                return float(text)
            except (TypeError, ValueError):
                number, written = split(text, field)
                if written.strip() == unit:
                    return number
                raise InputError(field, text, f"a value of {quantity} ({unit}), e.g. '1'") from None
        return parse(text, field, unit, f"a value of {quantity} in {unit}")

    return read


def _times(value, field: str, duration: float) -> list[float]:
    from ..units import parse

    items = value if isinstance(value, list) else [value]
    if not items:
        raise InputError(field, value, "one time or a list of times, e.g. [4 h, 12 h, 24 h]")
    out = []
    for i, text in enumerate(items):
        where = f"{field}[{i}]" if isinstance(value, list) else field
        t = parse(text, where, "h", "a time such as '12 h'")
        if not 0 <= t <= duration + 1e-9:
            raise InputError(where, text, f"a time from 0 h to the scenario's duration ({duration:g} h)")
        out.append(t)
    return out


def _targets(specs: list[TargetSpec], series: dict, duration: float) -> list[Target]:
    out = []
    for i, t in enumerate(specs):
        where = f"targets[{i}]"
        if t.quantity not in series:
            raise InputError(f"{where}.quantity", t.quantity, f"a result series ({', '.join(series)})")
        kind = t.kind.lower()
        if kind not in ("target", "toxicity"):
            raise InputError(f"{where}.kind", t.kind, "target (attainment) or toxicity")
        given = [k for k in ("within", "above", "below") if getattr(t, k) is not None]
        if len(given) != 1:
            raise InputError(where, given or None, "exactly one of within: [low, high], above: value, below: value")
        when = [k for k in ("at", "by") if getattr(t, k) is not None]
        if len(when) != 1:
            raise InputError(where, when or None, "exactly one of at: (value at these times) or by: (any time up to)")
        unit = series[t.quantity][0]
        read = _threshold(t.quantity, unit)
        op = given[0]
        if op == "within":
            if len(t.within) != 2:
                raise InputError(f"{where}.within", t.within, "two values [low, high], e.g. [1.8 mmol/L, 3.0 mmol/L]")
            lo, hi = read(t.within[0], f"{where}.within[0]"), read(t.within[1], f"{where}.within[1]")
            if not lo < hi:
                raise InputError(f"{where}.within", t.within, "a low value below the high one")
        elif op == "above":
            lo, hi = read(t.above, f"{where}.above"), math.inf
        else:
            lo, hi = -math.inf, read(t.below, f"{where}.below")
        mode = when[0]
        for time in _times(getattr(t, mode), f"{where}.{mode}", duration):
            probe = Target("", kind, t.quantity, op, lo, hi, mode, time, unit)
            label = t.name or probe.condition().rsplit(" at ", 1)[0]
            out.append(Target(label, kind, t.quantity, op, lo, hi, mode, time, unit))
        if len(out) > MAX_TARGETS:
            raise InputError("targets", f"{len(out)} target rows", f"at most {MAX_TARGETS} (targets x times)")
    return out
