"""Load validation cases, run their scenarios, compute their metrics and verdicts."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import yaml

from ..units import parse


@dataclass(frozen=True)
class Check:
    name: str
    metric: str
    quantity: str = "K_serum"
    arm: str | None = None
    minus_arm: str | None = None  # metric of arm minus the same metric of this arm
    at: float | None = None  # h
    window: tuple[float, float] | None = None  # h
    band: tuple[float, float] = (-np.inf, np.inf)
    observed: float | None = None
    known_failure: str | None = None
    dose: float | None = None  # mmol, for recovery, retention and absorbed-fraction metrics


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    strength: str
    source: str
    fitted: bool
    scenario: dict
    checks: tuple[Check, ...]
    observed: tuple[dict, ...] = ()
    every: float = 0.25


@dataclass
class CheckResult:
    check: Check
    simulated: float
    passed: bool
    grade: str  # green | yellow | red | "-" (no observed value)


@dataclass
class CaseResult:
    case: Case
    checks: list[CheckResult] = field(default_factory=list)
    result: object = None

    @property
    def passed(self) -> bool:
        return all(c.passed or c.check.known_failure for c in self.checks)

    def to_dict(self) -> dict:
        return {
            "id": self.case.id,
            "title": self.case.title,
            "source": self.case.source,
            "fitted": self.case.fitted,
            "passed": self.passed,
            "checks": [
                {
                    "name": c.check.name,
                    "quantity": c.check.quantity,
                    "arm": c.check.arm,
                    "metric": c.check.metric,
                    "simulated": c.simulated,
                    "observed": c.check.observed,
                    "band": list(c.check.band),
                    "passed": c.passed,
                    "grade": c.grade,
                    "known_failure": c.check.known_failure,
                }
                for c in self.checks
            ],
        }


def _hours(text) -> float:
    return parse(text, "validation", "h") if isinstance(text, str) else float(text)


CHECK_KEYS = {
    "name",
    "metric",
    "quantity",
    "arm",
    "minus_arm",
    "at",
    "window",
    "band",
    "observed",
    "known_failure",
    "dose_mmol",
}


def _check(d: dict) -> Check:
    unknown = set(d) - CHECK_KEYS
    if unknown:
        raise ValueError(f"validation check {d.get('name')!r} has unknown keys {sorted(unknown)}")
    window = tuple(_hours(x) for x in d["window"]) if "window" in d else None
    return Check(
        name=d["name"],
        metric=d["metric"],
        quantity=d.get("quantity", "K_serum"),
        arm=d.get("arm"),
        minus_arm=d.get("minus_arm"),
        at=_hours(d["at"]) if "at" in d else None,
        window=window,
        band=(float(d["band"][0]), float(d["band"][1])),
        observed=d.get("observed"),
        known_failure=d.get("known_failure"),
        dose=float(d["dose_mmol"]) if "dose_mmol" in d else None,
    )


@functools.lru_cache(maxsize=1)
def cases() -> dict[str, Case]:
    folder = resources.files("lytes.validation").joinpath("cases")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        d = yaml.safe_load(entry.read_text(encoding="utf-8"))
        out[d["id"]] = Case(
            id=d["id"],
            title=d["title"],
            strength=d["strength"],
            source=d["source"],
            fitted=bool(d.get("fitted", False)),
            scenario=d.get("scenario") or d["scenarios"],
            checks=tuple(_check(c) for c in d["checks"]),
            observed=tuple(d.get("observed", ())),
            every=_hours(d.get("every", 0.25)),
        )
    return out


def _series(result, arm: str | None):
    return result.arms[arm] if arm is not None else result


def _metric(run, check: Check) -> float:
    """The value a check reads off one run (a Result)."""
    y = run[check.quantity]
    t = run.time_h
    base = y[0]
    if check.window is not None:
        inside = (t >= check.window[0] - 1e-9) & (t <= check.window[1] + 1e-9)
    else:
        inside = np.ones_like(t, dtype=bool)
    m = check.metric
    if m == "value":
        return run.at(check.quantity, check.at)
    if m == "change":
        return run.at(check.quantity, check.at) - base
    if m == "ratio":
        return run.at(check.quantity, check.at) / base
    if m == "max_change":
        return float(np.max(y[inside]) - base)
    if m == "min_change":
        return float(np.min(y[inside]) - base)
    if m == "max":
        return float(np.max(y[inside]))
    if m == "min":
        return float(np.min(y[inside]))
    if m == "time_of_min":
        return float(t[inside][np.argmin(y[inside])])
    if m == "time_of_max":
        return float(t[inside][np.argmax(y[inside])])
    if m == "relative_min_change":
        return float(np.min(y[inside]) / base - 1)
    if m == "relative_max_change":
        return float(np.max(y[inside]) / base - 1)
    if m == "clearance":  # extra urinary Mg over extra plasma Mg AUC: L/h
        extra_urine = run.at("Mg_urine", check.at) - run["Mg_urine_rate"][0] * check.at
        keep = t <= check.at + 1e-9
        auc = np.trapezoid(run["Mg_serum"][keep] - run["Mg_serum"][0], t[keep])
        return float(extra_urine / auc)
    if m == "distribution_volume":  # extra body Mg over extra serum Mg at `at`: L
        extra = run.at("body_Mg", check.at) - run["body_Mg"][0]
        return float(extra / (run.at("Mg_serum", check.at) - run["Mg_serum"][0]))
    if m in ("urinary_recovery", "retention"):  # of an IV Mg dose, over the steady baseline excretion
        recovered = (run.at("Mg_urine", check.at) - run["Mg_urine_rate"][0] * check.at) / check.dose
        return float(recovered if m == "urinary_recovery" else 1 - recovered)
    if m == "removed":  # rise of a cumulative quantity over the window (e.g. K_dialysis: removed by one session)
        return float(run.at(check.quantity, check.window[1]) - run.at(check.quantity, check.window[0]))
    if m == "rebound":  # share of the fall over the window recovered at `at` (post-dialysis rebound)
        before, end = run.at(check.quantity, check.window[0]), run.at(check.quantity, check.window[1])
        return float((run.at(check.quantity, check.at) - end) / (before - end))
    if m == "end":
        return float(y[-1])
    if m == "end_change":
        return float(y[-1] - base)
    raise ValueError(f"unknown metric {m!r}")


def _pair_metric(result, check: Check) -> float | None:
    """Metrics that compare two runs rather than read one."""
    if check.metric == "absorbed_fraction":  # oral Mg absorbed (urine + body gain) over a control run
        a, b = _series(result, check.arm), _series(result, check.minus_arm)
        gain = (a["Mg_urine"][-1] - b["Mg_urine"][-1]) + (a["body_Mg"][-1] - b["body_Mg"][-1])
        return float(gain / check.dose)
    if check.metric == "change_ratio":  # rise above baseline at `at` in one run over the rise in another
        a, b = _series(result, check.arm), _series(result, check.minus_arm)
        q = check.quantity
        return float((a.at(q, check.at) - a[q][0]) / (b.at(q, check.at) - b[q][0]))
    if check.metric == "deficit_per_mmol":  # body K difference per mmol/L of serum K difference, at the end
        a, b = _series(result, check.arm), _series(result, check.minus_arm)
        return float((b["body_K"][-1] - a["body_K"][-1]) / (b["K_serum"][-1] - a["K_serum"][-1]))
    return None


def _simulate(case: Case, parameters=None):
    import lytes

    from ..result import Comparison

    if isinstance(case.scenario, str) or {"name", "patient", "duration"} & set(case.scenario):
        return lytes.simulate(case.scenario, every=case.every, parameters=parameters)  # one scenario
    runs = {}
    for name, sc in case.scenario.items():  # several scenarios (different patients) compared like arms
        every = None if isinstance(sc, str) else case.every
        runs[name] = lytes.simulate(sc, every=every, parameters=parameters)
    return Comparison(case.title, runs)


def run_case(case: Case, parameters: dict[str, float] | None = None) -> CaseResult:
    result = _simulate(case, parameters)
    out = CaseResult(case, result=result)
    for check in case.checks:
        value = _pair_metric(result, check)
        if value is None:
            value = _metric(_series(result, check.arm), check)
            if check.minus_arm is not None:
                value -= _metric(_series(result, check.minus_arm), check)
        lo, hi = check.band
        passed = bool(lo <= value <= hi)
        if check.observed is None or check.observed == 0:
            grade = "-"
        else:
            err = abs(value - check.observed) / abs(check.observed)
            grade = "green" if err <= 0.10 else "yellow" if err <= 0.30 else "red"
        out.checks.append(CheckResult(check, float(value), passed, grade))
    return out
