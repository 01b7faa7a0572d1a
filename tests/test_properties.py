"""Issue 13, item 1: property-based tests. Hypothesis draws valid scenarios from lytes' own vocabulary (patients,
conditions, labs, diets, foods, medications, products, doses, infusions, events, dialysis, arms, histories) and each
must end in a result or the library's own one-line input error - never another exception - with finite series,
mass balance closed for K, Mg, Na and Ca (the autouse fixture in conftest), every serum value either inside the
range a living patient can have or flagged by a finding at that severity, and nothing printed to the terminal.

CI runs a bounded number of examples (LYTES_PROPERTY_EXAMPLES, default 150, about a minute). Thousands, locally
(``--hypothesis-show-statistics`` prints how many ran and how many were refused, by field):

    LYTES_PROPERTY_EXAMPLES=10000 pytest tests/test_properties.py -m slow -p no:cacheprovider
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import yaml

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import lytes  # noqa: E402
from lytes.errors import InputError  # noqa: E402
from lytes.scenario.products import products  # noqa: E402
from lytes.scenario.regimen import _data  # noqa: E402
from lytes.scenario.vocabulary import ACUTE_ONLY  # noqa: E402

EXAMPLES = int(os.environ.get("LYTES_PROPERTY_EXAMPLES", "150"))
DRUGS = _data("drugs.yaml")
PRODUCTS = products()
FOODS = list(_data("foods.yaml"))

# a living patient's serum (mmol/L); beyond these a run must say so with an urgent finding
LIVING = {"K_serum": (1.5, 8.0), "Mg_serum": (0.2, 5.0), "Na_serum": (110.0, 170.0), "Ca_ionized": (0.5, 2.0)}
FLAG_BEYOND = {  # the finding that must be urgent somewhere in the run when a series leaves LIVING on that side
    ("K_serum", "low"): "hypokalemia",
    ("K_serum", "high"): "hyperkalemia",
    ("Mg_serum", "low"): "hypomagnesemia",
    ("Mg_serum", "high"): "mg_toxicity",
    ("Na_serum", "low"): "hyponatremia",
    ("Na_serum", "high"): "hypernatremia",
    ("Ca_ionized", "low"): "hypocalcemia",
    ("Ca_ionized", "high"): "hypercalcemia",
}


def _q(value: float, unit: str, digits: int = 3) -> str:
    return f"{round(value, digits):g} {unit}"


@st.composite
def patients(draw):
    p = {
        "weight": _q(draw(st.floats(35, 160)), "kg", 1),
        "sex": draw(st.sampled_from(["male", "female"])),
        "age": _q(draw(st.integers(16, 99)), "y"),
    }
    if draw(st.booleans()):  # lean size: the weight above BMI 23 for the height counts by its water
        p["height"] = _q(draw(st.floats(145, 200)), "cm", 0)
    kidney = draw(st.sampled_from(["none", "egfr", "creatinine", "egfr", "anuric"]))
    if kidney == "anuric":  # kidney failure on a standing dialysis prescription
        p["egfr"] = "0 mL/min/1.73m2"
        p["_standing"] = draw(
            st.sampled_from(
                [
                    {
                        "event": "hemodialysis",
                        "at": "8 h",
                        "for": "4 h",
                        "days": ["Mon", "Wed", "Fri"],
                        "dialysate": {"K": _q(draw(st.sampled_from([1, 2, 3])), "mmol/L")},
                    },
                    {
                        "event": "peritoneal_dialysis",
                        "at": "0 h",
                        "for": "30 d",
                        "exchanges": draw(st.integers(3, 5)),
                        "dwell": "4 h",
                        "fill": "2 L",
                    },
                ]
            )
        )
        return p
    egfr = None
    if kidney == "egfr":
        egfr = draw(st.floats(3, 140))
        p["egfr"] = _q(egfr, "mL/min/1.73m2", 1)
    elif kidney == "creatinine":
        p["creatinine"] = _q(draw(st.floats(0.4, 10)), "mg/dL", 2)
    conditions = draw(
        st.lists(
            st.sampled_from(
                [
                    "ckd",
                    "pregnancy",
                    "preeclampsia",
                    "gitelman",
                    "bartter",
                    "alcohol_use_disorder",
                    "diarrhea",
                    "vomiting",
                    "heart_failure",
                    "hyperaldosteronism",
                    "rhabdomyolysis",
                ]
            ),
            max_size=2,
            unique=True,
        )
    )
    if {"pregnancy", "preeclampsia"} & set(conditions):
        p["sex"] = "female"
    if "ckd" in conditions and (egfr is None or egfr >= 60):
        conditions.remove("ckd")
    if draw(st.booleans()) and not conditions and kidney == "none":
        conditions = [{"condition": "aki", "egfr": _q(draw(st.floats(5, 60)), "mL/min/1.73m2", 1)}]
    if conditions:
        p["conditions"] = conditions
    labs = {}
    for ion, lo, hi, unit in (
        ("K", 2.0, 7.0, "mmol/L"),
        ("Mg", 0.3, 3.0, "mmol/L"),
        ("Ca", 1.7, 3.0, "mmol/L"),
    ):
        if draw(st.integers(0, 3)) == 0:
            labs[ion] = _q(draw(st.floats(lo, hi)), unit, 2)
    if labs:
        p["labs"] = labs
    return p


@st.composite
def diets(draw):
    diet = {}
    for ion, lo, hi in (("K", 15, 160), ("Mg", 2, 25), ("Na", 40, 300), ("Ca", 5, 50)):
        if draw(st.booleans()):
            diet[ion] = _q(draw(st.floats(lo, hi)), "mmol/day", 1)
    if draw(st.integers(0, 4)) == 0:
        diet["foods"] = {draw(st.sampled_from(FOODS)): _q(draw(st.floats(10, 300)), "g", 0)}
    return diet


def _ongoing_drugs():
    return sorted(k for k, v in DRUGS.items() if k != "meal" and v["class"] not in ACUTE_ONLY)


@st.composite
def medications(draw):
    meds, classes = [], set()
    for name in draw(st.lists(st.sampled_from(_ongoing_drugs()), max_size=3, unique=True)):
        spec = DRUGS[name]
        if spec["class"] in classes:  # one member of a class at a time
            continue
        classes.add(spec["class"])
        usual = float(str(spec["usual"]).split()[0])
        every = draw(st.sampled_from([8, 12, 24]))
        largest = min(float(spec["max_dose"]), float(spec["max_daily"]) * every / 24)
        dose = min(usual * draw(st.sampled_from([0.5, 1.0, 2.0])), largest)
        med = {"drug": name, "dose": f"{np.floor(dose * 1000) / 1000:g} {spec['unit']}", "every": f"{every} h"}
        routes = [r for r in spec["routes"] if r in ("oral", "subcutaneous")]
        if routes:
            med["route"] = draw(st.sampled_from(routes))
        meds.append(med)
    return meds


@st.composite
def gives(draw, duration_h: float):
    name = draw(st.sampled_from(sorted(PRODUCTS)))
    product = PRODUCTS[name]
    route = draw(st.sampled_from(sorted(product.routes)))
    at = _q(draw(st.floats(0, max(duration_h * 0.8, 0.1))), "h", 2)
    item = {"at": at, "give": name, "route": route}
    limit = product.max_dose_mmol
    if route == "iv" and product.max_rate_mmol_h > 0 and draw(st.booleans()):
        rate = draw(st.floats(0.05, 0.9)) * product.max_rate_mmol_h
        item["rate"] = _q(rate, "mmol/h", 3)
        item["for"] = _q(draw(st.floats(0.5, min(24.0, 0.9 * product.max_daily_mmol / rate))), "h", 2)
    else:
        item["dose"] = _q(draw(st.floats(0.02, 0.6)) * limit, "mmol", 3)
        if route == "iv":
            item["over"] = _q(draw(st.floats(0.25, 6)), "h", 2)
        if route == "oral" and draw(st.booleans()):
            item["every"] = draw(st.sampled_from(["8 h", "12 h", "24 h"]))
            item["for"] = _q(min(duration_h, draw(st.floats(12, 96))), "h", 1)
    return item


@st.composite
def events(draw, duration_h: float):
    kind = draw(st.sampled_from(["tissue_breakdown", "hemodialysis", "crrt", "insulin", "albuterol"]))
    at = _q(draw(st.floats(0, max(duration_h * 0.7, 0.1))), "h", 2)
    if kind == "tissue_breakdown":
        return {"at": at, "event": kind, "muscle": _q(draw(st.floats(0.05, 2.0)), "kg", 2), "over": "6 h"}
    if kind == "hemodialysis":
        return {
            "at": at,
            "event": kind,
            "for": _q(draw(st.floats(2, 5)), "h", 1),
            "dialysate": {"K": _q(draw(st.sampled_from([1, 2, 3, 4])), "mmol/L")},
        }
    if kind == "crrt":
        return {"at": at, "event": kind, "for": _q(draw(st.floats(6, 48)), "h", 1), "effluent": "2 L/h"}
    if kind == "insulin":
        return {"at": at, "give": "insulin", "route": "iv", "dose": _q(draw(st.sampled_from([5, 10])), "U")}
    return {"at": at, "give": "albuterol", "route": "nebulized", "dose": _q(draw(st.sampled_from([2.5, 10])), "mg")}


@st.composite
def scenarios(draw):
    duration_h = draw(st.sampled_from([6, 24, 48, 96, 240]))
    data = {"name": "property", "duration": f"{duration_h} h", "patient": draw(patients())}
    diet = draw(diets())
    if diet:
        data["diet"] = diet
    meds = draw(medications())
    if meds:
        data["medications"] = meds
    standing = data["patient"].pop("_standing", None)
    items = draw(st.lists(gives(duration_h), max_size=3))
    if standing is not None:
        items.append(standing)
    if standing is None and draw(st.booleans()):  # one event (two dialysis sessions may not overlap)
        items.append(draw(events(duration_h)))
    if items:
        data["interventions"] = items
    if draw(st.integers(0, 5)) == 0:
        data["history"] = {
            "duration": draw(st.sampled_from(["30 d", "1 y"])),
            "medications": draw(medications()),
        }
    if draw(st.integers(0, 4)) == 0:
        data["arms"] = {
            "a": {"interventions": [draw(gives(duration_h))]},
            "b": {"interventions": []},
        }
    return data


def _check(result) -> None:
    runs = result.arms.values() if hasattr(result, "arms") else [result]
    found = lytes.findings(result)
    per_arm = found.values() if isinstance(found, dict) else [found]
    for run, flags in zip(runs, per_arm):
        for name, values in run.series.items():
            assert np.all(np.isfinite(values)), f"{name} is not finite in {run.name}"
        urgent = {f.code for f in flags if f.severity == "urgent"}
        for name, (lo, hi) in LIVING.items():
            values = run.series[name]
            if values.min() < lo:
                assert FLAG_BEYOND[(name, "low")] in urgent, f"{name} {values.min():.3g} without an urgent finding"
            if values.max() > hi and (name, "high") in FLAG_BEYOND:
                assert FLAG_BEYOND[(name, "high")] in urgent, f"{name} {values.max():.3g} without an urgent finding"


def _one(data, capfd) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = lytes.simulate(data)
        except InputError as exc:
            message = str(exc)
            assert message and "\n" not in message.strip(), message
            assert "Traceback" not in message
            event(f"refused in one line ({exc.field.split('[')[0].split('.')[0]})")
        else:
            _check(result)
            event("ran")
    assert not caught, f"warnings reached the user: {[str(w.message) for w in caught]}\n{yaml.safe_dump(data)}"
    out, err = capfd.readouterr()
    assert not err.strip(), f"text on stderr: {err[:300]}\n{yaml.safe_dump(data)}"


COMMON = {
    "deadline": None,
    "derandomize": True,  # the same examples on every CI run; a new seed is a local, marked run
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    "database": None,
}


@settings(max_examples=EXAMPLES, **COMMON)
@given(data=scenarios())
def test_random_valid_scenarios_run_or_are_refused_in_one_line(data, capfd):
    _one(data, capfd)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("LYTES_SLOW"), reason="thousands of examples: LYTES_SLOW=1")
@settings(max_examples=max(EXAMPLES, 1000), **{**COMMON, "derandomize": False})
@given(data=scenarios())
def test_random_valid_scenarios_many(data, capfd):
    _one(data, capfd)
