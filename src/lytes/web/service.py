"""What the web page, the REST API and the CDS Hooks service run: the CLI's JSON contracts, within the server's limits.

Nothing here reads a path from a request: a scenario is a built-in's name, a mapping, or YAML text parsed with the
limits of ``lytes.scenario.schema``; a population is a built-in population's name.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass

from ..errors import InputError


@dataclass
class Limits:
    """What one request may ask for. Each refusal is a 4xx JSON message naming the field."""

    max_duration_h: float = 90 * 24.0  # the command line allows 5 years; a shared server keeps runs short
    max_arms: int = 6
    max_population: int = 100  # virtual patients per request (about 0.15 s each, on one core)
    max_body_bytes: int = 1_000_000  # the scenario file limit of lytes.scenario.schema
    max_run_s: float = 30.0  # wall time of one simulation
    max_concurrent: int = 2  # simulations at once; more wait up to max_run_s, then are refused


class RunTimeExceeded(Exception):
    """A run went past ``Limits.max_run_s``: stopped and refused, never a partial result."""


class Busy(Exception):
    """Every simulation slot stayed taken for ``max_run_s``."""


_slots: dict[int, threading.BoundedSemaphore] = {}


def _slot(limits: Limits) -> threading.BoundedSemaphore:
    return _slots.setdefault(limits.max_concurrent, threading.BoundedSemaphore(limits.max_concurrent))


def scenario_from_yaml_text(text: str, field: str = "yaml"):
    """A Scenario from YAML text, refused in one line as a file would be (size, encoding, aliases, depth, length)."""
    from ..scenario import schema

    if not isinstance(text, str):
        raise InputError(field, type(text).__name__, "YAML text")
    data = schema.parse_yaml_text(text, field)
    return schema.Scenario.from_dict(data, origin=field)


def load_scenario(scenario=None, yaml_text: str | None = None):
    """A Scenario from a built-in name, a mapping, or YAML text - never a path."""
    from ..scenario import Scenario, load
    from ..scenario.catalog import names

    if (scenario is None) == (yaml_text is None):
        raise InputError("scenario", None, "either 'scenario' (a built-in name or a mapping) or 'yaml' (YAML text)")
    if yaml_text is not None:
        return scenario_from_yaml_text(yaml_text)
    if isinstance(scenario, str):
        if scenario not in names():
            from ..scenario.vocabulary import suggestion

            hint = suggestion(scenario, names()).replace(" (", "; ").rstrip(")")
            raise InputError(
                "scenario",
                scenario,
                f"a built-in scenario name{hint} (file paths are not accepted here; send the YAML)",
            )
        return load(scenario)
    if isinstance(scenario, dict):
        return Scenario.from_dict(scenario)
    raise InputError("scenario", type(scenario).__name__, "a built-in scenario name or a mapping")


def _hours(text, field: str) -> float:
    from ..units import parse

    return parse(text, field, "h", "a time with its unit, e.g. '48 h' or '7 d'")


def check_limits(sc, limits: Limits) -> None:
    """Refuse a scenario beyond the server's limits before any work."""
    duration = _hours(sc.duration, "duration")
    if duration > limits.max_duration_h:
        raise InputError(
            "duration",
            sc.duration,
            f"at most {limits.max_duration_h / 24:g} d on this server (the command line allows 5 years)",
        )
    if sc.arms and len(sc.arms) > limits.max_arms:
        raise InputError("arms", f"{len(sc.arms)} arms", f"at most {limits.max_arms} arms on this server")


def _deadline(limits: Limits):
    end = time.monotonic() + limits.max_run_s

    def progress(done: int, total: int) -> None:
        if time.monotonic() > end:
            raise RunTimeExceeded()

    return progress


class _Held:
    def __init__(self, limits: Limits):
        self.sem = _slot(limits)
        self.wait = limits.max_run_s

    def __enter__(self):
        if not self.sem.acquire(timeout=self.wait):
            raise Busy()
        return self

    def __exit__(self, *exc):
        self.sem.release()


def simulate_limited(sc, every, limits: Limits):
    """Run a scenario within the limits: the result (Result or Comparison) with ``.scenario`` set."""
    from ..result import scenario_data
    from ..simulation import simulate

    check_limits(sc, limits)
    step = _hours(every, "every") if every not in (None, "") else None
    with _Held(limits):
        started = time.monotonic()
        result = simulate(sc, every=step, progress=_deadline(limits))
        if time.monotonic() - started > limits.max_run_s:
            raise RunTimeExceeded()
    result.scenario = scenario_data(sc)
    return result


def run_contract(result) -> tuple[dict, dict]:
    """``lytes run --json``'s object for a result, and its findings by arm."""
    from ..reading import findings_by_arm
    from ..result import provenance

    findings = findings_by_arm(result)
    data = result.to_dict() | provenance()
    for arm, found in findings.items():
        data["arms"][arm]["findings"] = [f.to_dict() for f in found]
    if not hasattr(result, "arms"):
        data["findings"] = data["arms"]["main"]["findings"]
    return data, findings


ASSESS_FIELDS = ("age", "sex", "weight", "egfr", "reflexes", "resp_rate", "ecg", "urine_output", "dialysis")


def assess_contract(
    labs: dict[str, str],
    limits: Limits,
    age=None,
    sex=None,
    weight=None,
    egfr=None,
    meds=(),
    conditions=(),
    urine=None,
    reflexes=None,
    resp_rate=None,
    ecg=None,
    urine_output=None,
    dialysis=None,
    simulate_options: bool = False,
):
    """``lytes assess --json``'s object (with ``options`` when simulated), the Assessment and the options run."""
    from ..reading import assess
    from ..reading.options import options_dict, plan
    from ..result import provenance
    from ..scenario.vocabulary import resolve
    from ..units import parse

    if not labs:
        raise InputError("labs", None, "at least one lab, e.g. {'K': '2.9 mmol/L'}")
    meds = [resolve(m, "meds")[1] for m in meds or []]
    conditions = [str(c).strip().lower() for c in conditions or [] if str(c).strip()]
    weight_kg = 70.0
    if weight not in (None, ""):
        weight_kg = (
            float(weight) if isinstance(weight, (int, float)) else parse(weight, "weight", "kg", "a weight, e.g. 80 kg")
        )
    if egfr not in (None, ""):
        if isinstance(egfr, str):
            egfr = parse(egfr, "egfr", "mL/min", "an eGFR in mL/min/1.73m2, e.g. '45 mL/min/1.73m2'")
        if isinstance(egfr, bool) or not isinstance(egfr, (int, float)) or not 0 <= egfr <= 200:
            raise InputError("egfr", egfr, "an eGFR of 0-200 mL/min/1.73m2")
    else:
        egfr = None
    result = assess(
        dict(labs),
        age=age,
        sex=sex,
        meds=meds,
        conditions=conditions,
        urine=urine or {},
        egfr=egfr,
        weight=None if weight in (None, "") else weight_kg,
        reflexes=reflexes or None,
        resp_rate=resp_rate if resp_rate not in ("", None) else None,
        ecg=ecg or None,
        urine_output=urine_output or None,
        dialysis=dialysis or None,
    )
    data = result.to_dict() | provenance()
    options = chosen = None
    if simulate_options:
        from ..simulation import simulate

        chosen = plan(result, 60 if age is None else age, sex or "male", weight_kg, meds, conditions)
        with _Held(limits):
            options = simulate(
                chosen.scenario, every=0.25 if min(chosen.times_h) < 1 else 1.0, progress=_deadline(limits)
            )
        data["options"] = options_dict(chosen, options)
    return data, result, options, chosen


def population_contract(spec: str, n: int, seed: int, every, limits: Limits) -> dict:
    """``lytes population --json``'s object for a built-in population spec."""
    from ..population import names
    from ..population import population as run_population

    if not isinstance(spec, str) or spec not in names():
        raise InputError(
            "spec", spec, f"a built-in population ({', '.join(names())}); file paths are not accepted here"
        )
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limits.max_population:
        raise InputError("n", n, f"a whole number from 1 to {limits.max_population} on this server")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed", seed, "a whole number of 0 or more")
    with _Held(limits):
        pop = run_population(spec, n=n, seed=seed, workers=1, progress=False, every=every or None)
    return pop.to_dict()


def finite(value):
    """JSON-ready data with NaN and infinities as null (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def to_json(data) -> str:
    try:
        return json.dumps(data, allow_nan=False)
    except ValueError:
        return json.dumps(finite(data), allow_nan=False)
