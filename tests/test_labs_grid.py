"""Issue 8, item 5: any living labs either start the patient there (within 2 %) or are refused in one line.

A grid of living labs (K x Mg x Ca), three eGFRs, with and without furosemide and a PPI. Every point must start at
its labs or raise an InputError whose one-line message names the lab and says why and what would reach it - never
another exception (a traceback, "steady state not found", a negative store), never a silent misfit, and never a
warning. The CI subset covers every K x Mg pair with the other factors cycled; ``LYTES_SLOW=1`` runs the full grid.
"""

import itertools
import os
import warnings

import pytest

import lytes
from lytes.errors import InputError

K = (1.8, 2.8, 4.2, 6.0, 8.0)
MG = (0.2, 0.5, 0.85, 2.0, 4.0)
CA = (1.8, 2.4, 3.0)
EGFR = (15, 60, 100)
SERIES = {"K": "K_serum", "Mg": "Mg_serum", "Ca": "Ca_total"}
FUROSEMIDE = {"drug": "furosemide", "dose": "40 mg", "every": "12 h"}
PPI = {"drug": "omeprazole", "dose": "20 mg", "every": "24 h"}


def ci_points():
    """Every K x Mg pair, four times, with Ca, eGFR and the two medications cycled (100 points)."""
    out = []
    for i, (k, mg) in enumerate(itertools.product(K, MG)):
        for j in range(4):
            out.append((k, mg, CA[(i + j) % 3], EGFR[(i + 2 * j) % 3], j % 2 == 1, j >= 2))
    return out


def full_points():
    return list(itertools.product(K, MG, CA, EGFR, (False, True), (False, True)))


def labs_scenario(k, mg, ca, egfr, furosemide, ppi):
    return {
        "name": "labs grid",
        "duration": "2 h",
        "patient": {
            "egfr": f"{egfr} mL/min/1.73m2",
            "labs": {"K": f"{k} mmol/L", "Mg": f"{mg} mmol/L", "Ca": f"{ca} mmol/L"},
        },
        "medications": [m for m, on in ((FUROSEMIDE, furosemide), (PPI, ppi)) if on],
    }


def starts_or_is_refused(point):
    k, mg, ca, *_ = point
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning is a failure here, whatever its kind
        try:
            r = lytes.simulate(labs_scenario(*point))
        except InputError as exc:
            message = str(exc)
            assert "\n" not in message and exc.field.startswith("patient.labs"), message
            assert "what would reach it" in message, message
            return "refused"
    for ion, target in {"K": k, "Mg": mg, "Ca": ca}.items():
        start = r[SERIES[ion]][0]
        assert start == pytest.approx(target, rel=0.02), f"{point}: {ion} started at {start:.3g}, not {target}"
    return "started"


def test_every_living_lab_starts_there_or_is_refused_in_one_line():
    outcomes = [starts_or_is_refused(point) for point in ci_points()]
    # most of the grid is a patient lytes can start from (refusals: hyperkalaemia with a kidney that clears K)
    assert outcomes.count("started") >= len(outcomes) // 2


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("LYTES_SLOW"), reason="the full grid (900 points, minutes): LYTES_SLOW=1")
def test_the_full_grid():
    outcomes = {}
    for point in full_points():
        try:
            outcomes[point] = starts_or_is_refused(point)
        except Exception as exc:  # collect every failing point, not just the first
            outcomes[point] = f"{type(exc).__name__}: {exc}"
    failed = {p: o for p, o in outcomes.items() if o not in ("started", "refused")}
    assert not failed, failed


KNOWN = [
    # the four failures issue 8 names: a traceback, "steady state not found", a negative store, a silent misfit
    ({"K": "2.8 mmol/L", "Mg": "0.25 mmol/L"}, [FUROSEMIDE], []),
    ({"Mg": "1.6 mg/dL"}, [FUROSEMIDE], ["heart_failure"]),
    ({"Mg": "0.6 mg/dL"}, [], []),
    ({"Mg": "0.2 mmol/L"}, [], []),
    ({"K": "2.8 mmol/L", "Mg": "0.25 mmol/L", "Ca": "2.0 mmol/L"}, [FUROSEMIDE], []),
]


@pytest.mark.parametrize("labs, meds, conditions", KNOWN)
def test_issue_8_failures_start_exactly_or_are_refused(labs, meds, conditions):
    from lytes.scenario.labs import parse_labs

    data = {
        "name": "known",
        "duration": "1 d",
        "patient": {"labs": labs, "conditions": conditions},
        "medications": meds,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            r = lytes.simulate(data)
        except InputError as exc:
            assert "\n" not in str(exc) and "what would reach it" in str(exc)
            return
    for ion, target in parse_labs(labs).items():
        assert r[SERIES[ion]][0] == pytest.approx(target, rel=0.005)  # met, not approximately missed


def test_low_k_with_low_mg_is_put_first_on_the_mg_deficiency():
    r = lytes.simulate({"name": "n", "duration": "1 h", "patient": {"labs": {"K": "2.8 mmol/L", "Mg": "0.5 mmol/L"}}})
    note = next(n for n in r.notes if n.startswith("labs: Mg 0.5 mmol/L accounts for K"))
    assert "ROMK released" in note and "unexplained ongoing K loss" in note and "for the rest (-> 2.8" in note


def test_a_lab_out_of_reach_names_how_far_lytes_gets():
    with pytest.raises(InputError) as info:
        lytes.simulate({"name": "n", "duration": "1 h", "patient": {"labs": {"K": "8 mmol/L"}}})
    assert info.value.field == "patient.labs.K"
    assert "takes K only to" in str(info.value) and "a lower eGFR" in str(info.value)


def test_a_diet_without_k_is_not_a_chronic_state():
    with pytest.raises(InputError) as info:
        lytes.simulate({"name": "n", "duration": "1 h", "diet": {"K": "0 mmol/day"}})
    assert info.value.field == "diet.K" and "diet event" in str(info.value)
